#include "dataplane/capture/capture_record.h"

#include <cstring>

namespace vigil::capture {

bool push_capture_record(CaptureQueue& q, const CaptureRecordHeader& h, const std::uint8_t* bytes) {
  const std::size_t payload = h.type == CaptureRecordType::packet ? h.caplen : 0;
  if (q.write_available() < sizeof h + payload) return false;
  std::uint8_t raw[sizeof h];
  std::memcpy(raw, &h, sizeof h);
  q.push(raw, sizeof raw);
  if (payload > 0) q.push(bytes, payload);
  return true;
}

bool pop_capture_record(CaptureQueue& q, CaptureRecordHeader& h, std::string& bytes) {
  if (q.read_available() < sizeof h) return false;
  std::uint8_t raw[sizeof h];
  q.pop(raw, sizeof raw);
  std::memcpy(&h, raw, sizeof h);
  const std::size_t n = h.type == CaptureRecordType::packet ? h.caplen : 0;
  bytes.resize(n);
  std::size_t got = 0;
  // The producer pushed the whole record before this header became visible.
  while (got < n) got += q.pop(reinterpret_cast<std::uint8_t*>(bytes.data()) + got, n - got);
  return true;
}

}  // namespace vigil::capture
