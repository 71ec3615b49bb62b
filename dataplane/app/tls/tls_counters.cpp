#include "dataplane/app/tls/tls_counters.h"

namespace vigil::app::tls {

namespace {
constexpr std::string_view kCounterNames[] = {VIGIL_TLS_COUNTERS(VIGIL_COUNTER_NAME)};
static_assert(std::size(kCounterNames) == kTlsCounterCount);
}  // namespace

std::string_view tls_counter_name(TlsCounter c) {
  return counter_name(kCounterNames, static_cast<std::size_t>(c), "tls.unknown_counter");
}

}  // namespace vigil::app::tls
