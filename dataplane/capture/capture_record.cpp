#include "dataplane/capture/capture_record.h"

#include "dataplane/common/byte_record_queue.h"

namespace vigil::capture {

namespace {
std::size_t payload_of(const CaptureRecordHeader& h) {
  return h.type == CaptureRecordType::packet ? h.caplen : 0;
}
}  // namespace

bool push_capture_record(CaptureQueue& q, const CaptureRecordHeader& h, const std::uint8_t* bytes) {
  return push_byte_record(q, h, bytes, payload_of(h));
}

bool pop_capture_record(CaptureQueue& q, CaptureRecordHeader& h, std::string& bytes) {
  return pop_byte_record(q, h, bytes, payload_of);
}

}  // namespace vigil::capture
