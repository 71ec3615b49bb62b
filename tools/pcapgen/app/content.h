// Deterministic, plausible document bodies: HTML pages, stylesheets, JSON, log lines. Sizes are
// approximate targets; text is drawn from a fixed word list so it compresses and reads like text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "tools/pcapgen/rng.h"

namespace vigil::pcapgen {

std::string words(Rng& r, std::size_t count);
std::string html_page(Rng& r, std::string_view title, std::size_t approx_bytes);
std::string css_sheet(Rng& r, std::size_t approx_bytes);
std::string json_document(Rng& r, std::size_t approx_bytes);

}  // namespace vigil::pcapgen
