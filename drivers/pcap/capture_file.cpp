#include "drivers/pcap/capture_file.h"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace vigil::capture {
namespace {

// DLT values as libpcap reports them on Linux; 12 and 14 are both "raw IP" (14 is OpenBSD's
// DLT_RAW, found in files written there), 101 is LINKTYPE_RAW should a libpcap not map it.
constexpr int kDltNull = 0;
constexpr int kDltEthernet = 1;
constexpr int kDltPpp = 9;
constexpr int kDltRawLinux = 12;
constexpr int kDltRawOpenBsd = 14;
constexpr int kDltPppSerial = 50;
constexpr int kDltPppEther = 51;
constexpr int kDltRaw = 101;
constexpr int kDltCiscoHdlc = 104;
constexpr int kDltLoop = 108;
constexpr int kDltLinuxSll = 113;
constexpr int kDltPppWithDir = 204;
constexpr int kDltIpv4 = 228;
constexpr int kDltIpv6 = 229;
constexpr int kDltLinuxSll2 = 276;

constexpr std::uint32_t kPcapMicro = 0xa1b2c3d4;
constexpr std::uint32_t kPcapNano = 0xa1b23c4d;
constexpr std::uint32_t kPcapModified = 0xa1b2cd34;  // Kuznetzov's patched format; libpcap reads it
constexpr std::uint32_t kPcapngSectionHeader = 0x0a0d0d0a;

bool known_magic(std::uint32_t m) {
  for (std::uint32_t k : {kPcapMicro, kPcapNano, kPcapModified}) {
    if (m == k || m == __builtin_bswap32(k)) return true;
  }
  return m == kPcapngSectionHeader;
}

// libpcap messages are single lines already, but a file can put anything into an error that
// echoes its content: keep the error one printable line.
std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out.push_back(c == '\n' || c == '\r' ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string prefixed(std::string_view path, std::string_view what) {
  std::string s(path);
  s += ": ";
  s += what;
  return s;
}

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

}  // namespace

std::optional<LinkType> link_type_from_dlt(int dlt) {
  switch (dlt) {
    case kDltNull: return LinkType::null_loopback;
    case kDltEthernet: return LinkType::ethernet;
    case kDltPpp: return LinkType::ppp;
    case kDltPppSerial: return LinkType::ppp_serial;
    case kDltPppEther: return LinkType::ppp_ether;
    case kDltCiscoHdlc: return LinkType::c_hdlc;
    case kDltPppWithDir: return LinkType::ppp_with_dir;
    case kDltRawLinux:
    case kDltRawOpenBsd:
    case kDltRaw: return LinkType::raw;
    case kDltLoop: return LinkType::loop;
    case kDltLinuxSll: return LinkType::linux_sll;
    case kDltIpv4: return LinkType::ipv4;
    case kDltIpv6: return LinkType::ipv6;
    case kDltLinuxSll2: return LinkType::linux_sll2;
    default: return std::nullopt;
  }
}

bool open_capture_file(const std::string& path, CaptureFile& out, std::string& err) {
  // Opened here rather than by libpcap so a missing or unreadable file reports errno's words and
  // the checks below look at the very file libpcap then reads.
  // Declared before the FILE, which must be closed first.
  auto io_buffer = std::make_unique<char[]>(CaptureFile::kIoBufferBytes);
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    err = prefixed(path, std::string("cannot open: ") + std::strerror(errno));
    return false;
  }
  std::setvbuf(file.get(), io_buffer.get(), _IOFBF, CaptureFile::kIoBufferBytes);
  struct stat st {};
  if (fstat(fileno(file.get()), &st) != 0) {
    err = prefixed(path, std::string("cannot stat: ") + std::strerror(errno));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    err = prefixed(path, "not a regular file");
    return false;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size == 0) {
    err = prefixed(path, "empty file (0 bytes), not a capture");
    return false;
  }

  std::array<unsigned char, 4> head{};
  const std::size_t got = std::fread(head.data(), 1, head.size(), file.get());
  if (got < head.size()) {
    err = prefixed(path, "truncated in the file header (" + std::to_string(size) + " bytes)");
    return false;
  }
  std::uint32_t magic = 0;
  std::memcpy(&magic, head.data(), sizeof magic);
  if (!known_magic(magic)) {
    // Shown as the bytes appear in the file, so it can be compared with a hex dump.
    char text[80];
    std::snprintf(text, sizeof text, "not a pcap or pcapng file (magic %02x %02x %02x %02x)",
                  head[0], head[1], head[2], head[3]);
    err = prefixed(path, text);
    return false;
  }
  std::rewind(file.get());

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(file.get(), PCAP_TSTAMP_PRECISION_NANO,
                                                       errbuf);
  if (p == nullptr) {
    // libpcap leaves the FILE open on failure; `file` still owns it.
    const std::string_view msg(errbuf);
    if (msg.starts_with("truncated")) {
      err = prefixed(path, "truncated in the file header (" + one_line(msg) + ")");
    } else {
      err = prefixed(path, "cannot read capture: " + one_line(msg));
    }
    return false;
  }
  PcapHandle handle(p);
  (void)file.release();  // pcap_close() closes it from now on

  const int dlt = pcap_datalink(p);
  const std::optional<LinkType> link = link_type_from_dlt(dlt);
  if (!link) {
    const char* name = pcap_datalink_val_to_name(dlt);
    err = prefixed(path, "unsupported link type " + std::to_string(dlt) +
                             (name != nullptr ? std::string(" (") + name + ")" : std::string()) +
                             "; supported: EN10MB, NULL, LOOP, RAW, IPV4, IPV6, LINUX_SLL, "
                             "LINUX_SLL2, PPP, PPP_SERIAL, PPP_ETHER, C_HDLC, PPP_WITH_DIR");
    return false;
  }

  out.io_buffer = std::move(io_buffer);
  out.pcap = std::move(handle);
  out.link_type = *link;
  out.size_bytes = size;
  out.snaplen = static_cast<std::uint32_t>(pcap_snapshot(p) > 0 ? pcap_snapshot(p) : 0);
  return true;
}

std::string describe_read_error(std::string_view path, std::string_view libpcap_message,
                                std::uint64_t packets_read) {
  const std::string count = std::to_string(packets_read) +
                            (packets_read == 1 ? " complete packet" : " complete packets");
  const std::string msg = one_line(libpcap_message);
  if (libpcap_message.find("truncated") != std::string_view::npos) {
    return prefixed(path, "truncated after " + count + " (" + msg + ")");
  }
  return prefixed(path, "bad packet record after " + count + " (" + msg + ")");
}

}  // namespace vigil::capture
