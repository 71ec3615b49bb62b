#include "dataplane/defrag/defrag_counters.h"

#include <iterator>

namespace vigil {

namespace {
constexpr std::string_view kNames[] = {
#define VIGIL_X(e, n) n,
    VIGIL_DEFRAG_COUNTERS(VIGIL_X)
#undef VIGIL_X
};
static_assert(std::size(kNames) == kDefragCounterCount);
}  // namespace

std::string_view defrag_counter_name(DefragCounter c) {
  auto i = static_cast<std::size_t>(c);
  return i < kDefragCounterCount ? kNames[i] : std::string_view{"defrag.unknown_counter"};
}

}  // namespace vigil
