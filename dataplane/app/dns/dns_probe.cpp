// dns_probe: protocol detection. Strict, because it may run on any port: a header whose fields
// are all in range and consistent with the length, and a question section that parses exactly.
#include <algorithm>

#include "dataplane/app/dns/dns_message.h"
#include "dataplane/app/dns/dns_name.h"

namespace vigil::app::dns {

using detail::be16;

namespace {

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kMinQuestionBytes = 5;   // root name, qtype, qclass
constexpr std::size_t kMinRecordBytes = 11;    // root name, type, class, ttl, rdlength
constexpr std::size_t kMaxProbeQuestions = 16;

bool known_qclass(std::uint16_t klass) {
  // mDNS sets the top bit ("unicast response wanted"); the class is in the other 15.
  switch (klass & 0x7fff) {
    case 1:    // IN
    case 3:    // CH
    case 4:    // HS
    case 254:  // NONE
    case 255:  // ANY
      return true;
    default:
      return false;
  }
}

}  // namespace

bool dns_probe(std::span<const std::uint8_t> payload, bool tcp, bool trailing_ok) {
  std::size_t length = payload.size();  // the message's length
  std::span<const std::uint8_t> msg = payload;
  if (tcp) {
    if (payload.size() < 2) return false;
    length = be16(payload, 0);
    msg = payload.subspan(2, std::min<std::size_t>(length, payload.size() - 2));
  }
  if (length < kHeaderBytes + kMinQuestionBytes || msg.size() < kHeaderBytes) return false;

  const std::uint16_t flags = be16(msg, 2);
  const bool response = (flags & 0x8000) != 0;
  const unsigned opcode = (flags >> 11) & 0xf;
  const unsigned rcode = flags & 0xf;
  if (opcode == 3 || opcode > 6) return false;
  if (!response && rcode != 0) return false;
  const std::size_t qd = be16(msg, 4);
  const std::size_t records = std::size_t{be16(msg, 6)} + be16(msg, 8) + be16(msg, 10);
  if (qd == 0 || qd > kMaxProbeQuestions) return false;
  if (kHeaderBytes + qd * kMinQuestionBytes + records * kMinRecordBytes > length) return false;

  std::size_t pos = kHeaderBytes;
  for (std::size_t i = 0; i < qd; ++i) {
    const detail::NameWalk w = detail::walk_name(msg, pos, nullptr);
    if (w.error != detail::NameError::none) return false;
    if (msg.size() - w.end < 4) return false;
    if (be16(msg, w.end) == 0 || !known_qclass(be16(msg, w.end + 2))) return false;
    pos = w.end + 4;
  }
  // Exactly: nothing after the questions unless records were announced, and then room for them.
  if (records == 0) return pos == length || trailing_ok;
  return length - pos >= records * kMinRecordBytes;
}

}  // namespace vigil::app::dns
