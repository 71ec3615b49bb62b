#include "dataplane/detect/rules/rule_vars.h"

#include <array>
#include <utility>

namespace vigil::detect {
namespace {

using Default = std::pair<std::string_view, std::string_view>;

// suricata.yaml (Suricata 7) vars.address-groups. AIM_SERVERS is $EXTERNAL_NET there, not
// $HOME_NET: AIM servers are outside the protected network.
constexpr std::array<Default, 15> kAddressDefaults{{
    {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
    {"EXTERNAL_NET", "!$HOME_NET"},
    {"HTTP_SERVERS", "$HOME_NET"},
    {"SMTP_SERVERS", "$HOME_NET"},
    {"SQL_SERVERS", "$HOME_NET"},
    {"DNS_SERVERS", "$HOME_NET"},
    {"TELNET_SERVERS", "$HOME_NET"},
    {"AIM_SERVERS", "$EXTERNAL_NET"},
    {"DC_SERVERS", "$HOME_NET"},
    {"DNP3_SERVER", "$HOME_NET"},
    {"DNP3_CLIENT", "$HOME_NET"},
    {"MODBUS_CLIENT", "$HOME_NET"},
    {"MODBUS_SERVER", "$HOME_NET"},
    {"ENIP_CLIENT", "$HOME_NET"},
    {"ENIP_SERVER", "$HOME_NET"},
}};

// suricata.yaml vars.port-groups.
constexpr std::array<Default, 11> kPortDefaults{{
    {"HTTP_PORTS", "80"},
    {"SHELLCODE_PORTS", "!80"},
    {"ORACLE_PORTS", "1521"},
    {"SSH_PORTS", "22"},
    {"DNP3_PORTS", "20000"},
    {"MODBUS_PORTS", "502"},
    {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
    {"FTP_PORTS", "21"},
    {"GENEVE_PORTS", "6081"},
    {"VXLAN_PORTS", "4789"},
    {"TEREDO_PORTS", "3544"},
}};

template <typename Map, std::size_t N>
std::optional<std::string_view> lookup(const Map& given, const std::array<Default, N>& defaults,
                                       std::string_view name) {
  if (auto it = given.find(name); it != given.end()) return std::string_view(it->second);
  for (const auto& [n, v] : defaults)
    if (n == name) return v;
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> address_var(const RuleVars& vars, std::string_view name) {
  return lookup(vars.addresses, kAddressDefaults, name);
}

std::optional<std::string_view> port_var(const RuleVars& vars, std::string_view name) {
  return lookup(vars.ports, kPortDefaults, name);
}

}  // namespace vigil::detect
