#include "dataplane/defrag/defrag_counters.h"

#include <iterator>

namespace vigil {

namespace {
constexpr std::string_view kNames[] = {VIGIL_DEFRAG_COUNTERS(VIGIL_COUNTER_NAME)};
static_assert(std::size(kNames) == kDefragCounterCount);
}  // namespace

std::string_view defrag_counter_name(DefragCounter c) {
  return counter_name(kNames, static_cast<std::size_t>(c), "defrag.unknown_counter");
}

}  // namespace vigil
