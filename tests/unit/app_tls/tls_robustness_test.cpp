#include <CppUTest/TestHarness.h>

#include "tls_test_util.h"

using namespace vigil::app::tls;
using namespace vigil::app::tls::test;

// Deterministic mutations of a real conversation: whatever happens, nothing reads out of bounds
// (the ASan build checks), done is sent at most once, and the fields stay within their bounds.
TEST_GROUP(TlsRobustness){};

TEST(TlsRobustness, MutatedConversations) {
  const auto conv = tls12_conversation();
  std::uint32_t rng = 12345;
  auto next = [&rng] {
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
  };
  for (int round = 0; round < 300; ++round) {
    auto mutated = conv;
    for (int m = 0; m < 4; ++m) {
      Segment& seg = mutated[next() % mutated.size()];
      if (seg.bytes.empty()) continue;
      seg.bytes[next() % seg.bytes.size()] = static_cast<std::uint8_t>(next());
    }
    Flow f;
    for (const Segment& seg : mutated) {
      std::size_t at = 0;
      while (at < seg.bytes.size()) {
        const std::size_t n = std::min<std::size_t>(1 + next() % 700, seg.bytes.size() - at);
        tls_parse(*f.state, f.shared, seg.dir,
                  std::span<const std::uint8_t>(seg.bytes).subspan(at, n), f.rec);
        at += n;
      }
    }
    f.close();
    CHECK(f.rec.done_count <= 1);
    CHECK(tls_field(f.s(), TlsField::sni).size() <= 255);
    CHECK(tls_cert_count(f.s()) <= kMaxCerts);
    for (std::size_t i = 0; i < tls_cert_count(f.s()); ++i) {
      const auto der = tls_cert(f.s(), i);
      CHECK(der.data() >= f.s().server_msg && der.data() + der.size() <= f.s().server_msg + kServerMsgBytes);
    }
  }
}
