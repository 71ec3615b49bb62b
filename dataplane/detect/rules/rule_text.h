// Small text helpers shared by everything that reads rule and configuration text at load time.
// Pure functions; never used on the packet path.
#pragma once

#include <string>
#include <string_view>

namespace vigil::detect {

// Without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view s);
// ASCII case-insensitive equality, as Suricata compares keywords and names.
bool equals_ignoring_case(std::string_view a, std::string_view b);
// An ASCII lower-case copy.
std::string lower_ascii(std::string_view s);
// A piece of text quoted for a one-line message: cut after 80 bytes ("..."), control bytes as '?'.
std::string quoted(std::string_view s);

}  // namespace vigil::detect
