#include "dataplane/app/dns/dns_counters.h"

namespace vigil::app::dns {

namespace {
constexpr std::string_view kNames[] = {VIGIL_DNS_COUNTERS(VIGIL_COUNTER_NAME)};
static_assert(std::size(kNames) == kDnsCounterCount);
}  // namespace

std::string_view dns_counter_name(DnsCounter c) {
  return counter_name(kNames, static_cast<std::size_t>(c), "dns.unknown_counter");
}

}  // namespace vigil::app::dns
