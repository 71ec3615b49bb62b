// Mnemonics for record types, response codes and opcodes, with the decimal number for values
// that have none (as Suricata's EVE prints them).
#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/app/dns/dns_message.h"

namespace vigil::app::dns {

namespace {

// "0".."65535" for every 16-bit value, built once before main, so the lookups hand out static
// text with no formatting and no allocation on the packet path.
struct DecimalTable {
  std::array<std::array<char, 6>, 65536> text{};
  std::array<std::uint8_t, 65536> len{};
};

const DecimalTable& decimal_table() {
  static const DecimalTable* const table = [] {
    static DecimalTable t;
    for (std::size_t v = 0; v < 65536; ++v) {
      char digits[5];
      std::size_t n = 0, x = v;
      do {
        digits[n++] = static_cast<char>('0' + x % 10);
        x /= 10;
      } while (x != 0);
      for (std::size_t i = 0; i < n; ++i) t.text[v][i] = digits[n - 1 - i];
      t.len[v] = static_cast<std::uint8_t>(n);
    }
    return &t;
  }();
  return *table;
}

// Force construction at start-up rather than on the first packet.
[[maybe_unused]] const DecimalTable& kWarm = decimal_table();

std::string_view decimal(std::uint16_t v) {
  const DecimalTable& t = decimal_table();
  return {t.text[v].data(), t.len[v]};
}

}  // namespace

std::string_view dns_rrtype_name(std::uint16_t type) {
  // IANA "Resource Record (RR) TYPEs" mnemonics.
  switch (type) {
    case 1: return "A";
    case 2: return "NS";
    case 3: return "MD";
    case 4: return "MF";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 7: return "MB";
    case 8: return "MG";
    case 9: return "MR";
    case 10: return "NULL";
    case 11: return "WKS";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 14: return "MINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 17: return "RP";
    case 18: return "AFSDB";
    case 19: return "X25";
    case 20: return "ISDN";
    case 21: return "RT";
    case 22: return "NSAP";
    case 23: return "NSAP-PTR";
    case 24: return "SIG";
    case 25: return "KEY";
    case 26: return "PX";
    case 27: return "GPOS";
    case 28: return "AAAA";
    case 29: return "LOC";
    case 30: return "NXT";
    case 33: return "SRV";
    case 34: return "ATMA";
    case 35: return "NAPTR";
    case 36: return "KX";
    case 37: return "CERT";
    case 38: return "A6";
    case 39: return "DNAME";
    case 41: return "OPT";
    case 42: return "APL";
    case 43: return "DS";
    case 44: return "SSHFP";
    case 45: return "IPSECKEY";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 49: return "DHCID";
    case 50: return "NSEC3";
    case 51: return "NSEC3PARAM";
    case 52: return "TLSA";
    case 53: return "SMIMEA";
    case 55: return "HIP";
    case 59: return "CDS";
    case 60: return "CDNSKEY";
    case 61: return "OPENPGPKEY";
    case 62: return "CSYNC";
    case 63: return "ZONEMD";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 99: return "SPF";
    case 249: return "TKEY";
    case 250: return "TSIG";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 253: return "MAILB";
    case 254: return "MAILA";
    case 255: return "ANY";
    case 256: return "URI";
    case 257: return "CAA";
    default: return decimal(type);
  }
}

std::string_view dns_rcode_name(std::uint8_t rcode) {
  // IANA "DNS RCODEs"; 16 as Suricata prints it (BADVERS and BADSIG share the value).
  constexpr std::string_view kNames[] = {
      "NOERROR",  "FORMERR",  "SERVFAIL", "NXDOMAIN", "NOTIMP",         "REFUSED",
      "YXDOMAIN", "YXRRSET",  "NXRRSET",  "NOTAUTH",  "NOTZONE",        "DSOTYPENI",
      "",         "",         "",         "",         "BADVERS/BADSIG", "BADKEY",
      "BADTIME",  "BADMODE",  "BADNAME",  "BADALG",   "BADTRUNC",       "BADCOOKIE"};
  if (rcode < std::size(kNames) && !kNames[rcode].empty()) return kNames[rcode];
  return decimal(rcode);
}

std::string_view dns_opcode_name(std::uint8_t opcode) {
  constexpr std::string_view kNames[] = {"QUERY", "IQUERY", "STATUS", "",
                                         "NOTIFY", "UPDATE", "DSO"};
  if (opcode < std::size(kNames) && !kNames[opcode].empty()) return kNames[opcode];
  return decimal(opcode);
}

}  // namespace vigil::app::dns
