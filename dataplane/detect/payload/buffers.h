// The inspection buffers a payload match list can name: the packet payload / stream (id 0) and
// every application-layer buffer the prefilter knows (sticky buffers and the legacy content
// modifiers of dataplane/detect/prefilter/fast_pattern.h), by their canonical Suricata name.
// A static table: ids are stable for one build, lookups are pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil::detect {

using BufferId = std::uint8_t;
inline constexpr BufferId kPayloadBufferId = 0;  // packet payload or reassembled stream

// The id of a canonical buffer name ("payload", "http.uri", "dns.query", ...), or nullopt.
// Names carry no transform: "dns.query+dotprefix" is dns.query plus a transform list.
std::optional<BufferId> buffer_id(std::string_view canonical_name);
// The canonical name of an id; empty for an id >= buffer_count().
std::string_view buffer_name(BufferId id);
std::size_t buffer_count();

}  // namespace vigil::detect
