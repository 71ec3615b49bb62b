// Internal to the DNS parser: decoding a record's rdata into its text fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/app/dns/dns_message.h"

namespace vigil::app::dns::detail {

// Decodes r.rdata (at msg[rdoff], already bounds-checked) by r.type into r's text and numeric
// fields. False when the rdata does not match its type: r's decoded fields are then left empty,
// any name error is counted, and nothing stays in the scratch.
bool decode_rdata(std::span<const std::uint8_t> msg, std::size_t rdoff, DnsShared& shared,
                  DnsRecord& r);

}  // namespace vigil::app::dns::detail
