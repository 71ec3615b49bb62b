// Body decoding: content-encoding layers (gzip / deflate / lzma) over dechunked body bytes, with
// bomb limits, and delivery of the decoded bytes to the sink as windows with a 256-byte tail.
#include <lzma.h>
#include <zlib.h>

#include <cstring>

#include "dataplane/app/http/http_internal.h"

namespace vigil::app::http {

namespace {
constexpr std::size_t kZlibArena = 48 * 1024;      // inflate state (~7 KiB) + 32 KiB window
constexpr std::uint64_t kLzmaMemlimit = 1 << 20;   // dictionary + state, as Suricata's default
constexpr std::size_t kLzmaArena = kLzmaMemlimit + 128 * 1024;
constexpr std::uint64_t kRatioAfter = 64 * 1024;
}  // namespace

// A decompression context with its own bump arena: allocation never reaches malloc.
struct HttpDecoder {
  HttpCoding coding = HttpCoding::none;
  bool live = false;
  z_stream zs{};
  lzma_stream ls = LZMA_STREAM_INIT;
  lzma_allocator la{};
  std::unique_ptr<std::uint8_t[]> arena;
  std::size_t cap = 0, used = 0;

  void* alloc(std::size_t n) {
    n = (n + 15) & ~static_cast<std::size_t>(15);
    if (n > cap - used) return nullptr;
    void* p = arena.get() + used;
    used += n;
    return p;
  }
};

namespace {

void* z_alloc(void* opaque, uInt items, uInt size) {
  std::uint64_t n = static_cast<std::uint64_t>(items) * size;
  if (n > kLzmaArena) return Z_NULL;
  return static_cast<HttpDecoder*>(opaque)->alloc(static_cast<std::size_t>(n));
}
void z_free(void*, void*) {}  // the arena is reset whole when the decoder is released
void* l_alloc(void* opaque, std::size_t nmemb, std::size_t size) {
  if (size != 0 && nmemb > kLzmaArena / size) return nullptr;
  return static_cast<HttpDecoder*>(opaque)->alloc(nmemb * size);
}
void l_free(void*, void*) {}

void decoder_stop(HttpDecoder& d) {
  if (!d.live) return;
  if (d.coding == HttpCoding::zlib) inflateEnd(&d.zs);
  if (d.coding == HttpCoding::lzma) lzma_end(&d.ls);
  d.live = false;
  d.used = 0;
}

// Starts zlib: auto-detect zlib or gzip wrapper, or raw deflate when `raw`.
bool zlib_start(HttpDecoder& d, bool raw) {
  decoder_stop(d);
  d.zs = z_stream{};
  d.zs.zalloc = z_alloc;
  d.zs.zfree = z_free;
  d.zs.opaque = &d;
  if (inflateInit2(&d.zs, raw ? -15 : 15 + 32) != Z_OK) return false;
  d.live = true;
  return true;
}

bool lzma_start(HttpDecoder& d) {
  decoder_stop(d);
  d.ls = LZMA_STREAM_INIT;
  d.la.alloc = l_alloc;
  d.la.free = l_free;
  d.la.opaque = &d;
  d.ls.allocator = &d.la;
  if (lzma_alone_decoder(&d.ls, kLzmaMemlimit) != LZMA_OK) return false;
  d.live = true;
  return true;
}

}  // namespace

HttpShared::HttpShared(const HttpConfig& config, std::uint32_t decoders) : config_(config) {
  if (config_.decompress_layer_limit > kHttpMaxLayers)
    config_.decompress_layer_limit = kHttpMaxLayers;
  if (decoders > 0xfff0) decoders = 0xfff0;
  nz_ = decoders;
  nl_ = config_.lzma ? (decoders / 16 > 0 ? decoders / 16 : 1) : 0;
  decoders_ = std::make_unique<HttpDecoder[]>(nz_ + nl_);
  zfree_ = std::make_unique<std::uint16_t[]>(nz_ + 1);
  lfree_ = std::make_unique<std::uint16_t[]>(nl_ + 1);
  for (std::uint32_t i = 0; i < nz_ + nl_; ++i) {
    HttpDecoder& d = decoders_[i];
    d.cap = i < nz_ ? kZlibArena : kLzmaArena;
    d.arena = std::make_unique<std::uint8_t[]>(d.cap);
    d.coding = i < nz_ ? HttpCoding::zlib : HttpCoding::lzma;
  }
  for (std::uint32_t i = 0; i < nz_; ++i) zfree_[zfree_n_++] = static_cast<std::uint16_t>(nz_ - 1 - i);
  for (std::uint32_t i = 0; i < nl_; ++i)
    lfree_[lfree_n_++] = static_cast<std::uint16_t>(nz_ + nl_ - 1 - i);
  layer_out_ = std::make_unique<std::uint8_t[]>(kHttpMaxLayers * kChunk);
  window_ = std::make_unique<std::uint8_t[]>(kBodyTail + kChunk);
  lazy_ = std::make_unique<std::uint8_t[]>(2 * kHttpFieldCount * kLazyCap);
}

HttpShared::~HttpShared() {
  for (std::uint32_t i = 0; i < nz_ + nl_; ++i) decoder_stop(decoders_[i]);
}

HttpDecoder& HttpShared::decoder(std::uint16_t index) { return decoders_[index]; }

std::uint16_t HttpShared::acquire(HttpCoding c) {
  if (c == HttpCoding::zlib && zfree_n_ > 0) return zfree_[--zfree_n_];
  if (c == HttpCoding::lzma && lfree_n_ > 0) return lfree_[--lfree_n_];
  return 0xffff;
}

void HttpShared::release(std::uint16_t index) {
  if (index >= nz_ + nl_) return;
  HttpDecoder& d = decoders_[index];
  decoder_stop(d);
  if (index < nz_) {
    if (zfree_n_ < nz_) zfree_[zfree_n_++] = index;
  } else if (lfree_n_ < nl_) {
    lfree_[lfree_n_++] = index;
  }
}

// ---------------------------------------------------------------------------------------------

namespace {

// Gives decoded bytes to the sink in windows of at most kChunk new bytes, up to the body limit.
void deliver(HttpCtx& c, FlowDirection dir, HttpTx& tx, Bytes data) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  const std::uint64_t limit = is_request(dir) ? c.sh.config().request_body_limit
                                               : c.sh.config().response_body_limit;
  while (!data.empty()) {
    if (ds.delivered >= limit) {
      if (!ds.limit_counted) c.count(HttpCounter::body_limit_reached);
      ds.limit_counted = true;
      return;
    }
    std::size_t n = data.size();
    if (n > HttpShared::kChunk) n = HttpShared::kChunk;
    if (n > limit - ds.delivered) n = static_cast<std::size_t>(limit - ds.delivered);
    std::uint8_t* w = c.sh.window();
    std::memcpy(w, ds.tail, ds.tail_len);
    std::memcpy(w + ds.tail_len, data.data(), n);
    std::size_t total = ds.tail_len + n;
    tx.body_ptr = w;
    tx.body_size = static_cast<std::uint32_t>(total);
    tx.body_dir = static_cast<std::uint8_t>(dir);
    tx.body_off = ds.delivered - ds.tail_len;
    tx.body_seen = ds.tail_len;
    notify(c, tx, dir, is_request(dir) ? HttpProgress::request_body : HttpProgress::response_body);
    tx.body_ptr = nullptr;
    tx.body_size = 0;
    ds.delivered += n;
    std::size_t keep = total < kBodyTail ? total : kBodyTail;
    std::memcpy(ds.tail, w + total - keep, keep);
    ds.tail_len = static_cast<std::uint16_t>(keep);
    data = data.subspan(n);
  }
}

void feed(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in);

// Output `out` of `layer`: bounded by the output and ratio limits, then passed on.
// Returns false when decoding must stop (bomb).
bool emit(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes out) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  HttpLayer& ly = ds.layers[layer];
  const std::uint64_t max_out = c.sh.config().decompress_output_limit;
  bool bomb = false;
  if (ly.out + out.size() > max_out) {
    out = out.subspan(0, static_cast<std::size_t>(max_out - (ly.out < max_out ? ly.out : max_out)));
    bomb = true;
  }
  ly.out += out.size();
  if (ly.out > kRatioAfter && ly.out / (ly.used ? ly.used : 1) > c.sh.config().decompress_ratio_limit)
    bomb = true;
  if (!out.empty()) feed(c, dir, tx, layer + 1, out);
  if (bomb) {
    c.count(HttpCounter::decompress_bomb);
    ds.decode_stopped = true;
    return false;
  }
  return !ds.decode_stopped;
}

// The layer failed: from here its input goes on raw.
void fail_layer(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes rest) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  ly.passthrough = true;
  c.count(ly.coding == HttpCoding::lzma ? HttpCounter::lzma_errors : HttpCounter::gzip_errors);
  c.count(HttpCounter::decompress_raw_fallback);
  if (ly.decoder != 0xffff) c.sh.release(ly.decoder);
  ly.decoder = 0xffff;
  if (!rest.empty()) feed(c, dir, tx, layer + 1, rest);
}

// Decoding failed before producing anything: the body was not encoded that way after all
// (mislabelled, or a coding listed twice). Everything this layer was given goes on raw, as
// libhtp and browsers show it: `held` (given before, kept) then `in`.
void fail_layer_split(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes held,
                      Bytes in) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  std::uint8_t copy[sizeof(ly.prefix)];
  const std::size_t h = held.size() < sizeof(copy) ? held.size() : sizeof(copy);
  if (h) std::memcpy(copy, held.data(), h);  // held may point into the layer's prefix
  fail_layer(c, dir, tx, layer, Bytes(copy, h));
  if (!in.empty()) feed(c, dir, tx, layer + 1, in);
}

// The same when what was given before `in` is all in the prefix or nothing is known of it.
void fail_layer_all(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  if (ly.in <= ly.prefix_len)
    fail_layer_split(c, dir, tx, layer, Bytes(ly.prefix, static_cast<std::size_t>(ly.in)), {});
  else
    fail_layer_split(c, dir, tx, layer, {}, in);
}

enum : std::uint8_t { kFmtUndecided = 0, kFmtGzip = 1, kFmtZlib = 2, kFmtRaw = 3 };
enum : std::uint8_t {
  kGzFixed = 0, kGzExtraLen, kGzExtra, kGzName, kGzComment, kGzCrc, kGzDone, kGzBad
};

// Reads the gzip member header leniently, as browsers do: the magic must be there, but the
// method byte, reserved flag bits and the header CRC (FHCRC) are not checked; the optional
// fields are skipped. The deflate data after it is inflated raw, and the trailer (CRC32, size)
// is not checked either. Returns the bytes of `in` that belong to the header.
std::size_t gzip_header(HttpLayer& ly, Bytes in) {
  // Steps over the optional fields the flags say are absent.
  auto settle = [&ly] {
    if (ly.gz_state == kGzExtraLen && !(ly.gz_flags & 0x04)) ly.gz_state = kGzName;
    if (ly.gz_state == kGzName && !(ly.gz_flags & 0x08)) ly.gz_state = kGzComment;
    if (ly.gz_state == kGzComment && !(ly.gz_flags & 0x10)) {
      ly.gz_state = kGzCrc;
      ly.gz_need = 2;
    }
    if (ly.gz_state == kGzCrc && !(ly.gz_flags & 0x02)) ly.gz_state = kGzDone;
  };
  std::size_t i = 0;
  for (settle(); i < in.size() && ly.gz_state != kGzDone && ly.gz_state != kGzBad; settle()) {
    const std::uint8_t b = in[i++];
    switch (ly.gz_state) {
      case kGzFixed: {
        const unsigned pos = 10u - ly.gz_need;
        if ((pos == 0 && b != 0x1f) || (pos == 1 && b != 0x8b)) {
          ly.gz_state = kGzBad;
          break;
        }
        if (pos == 3) ly.gz_flags = b;
        if (--ly.gz_need == 0) ly.gz_state = kGzExtraLen;
        break;
      }
      case kGzExtraLen:  // two bytes, little endian; 0x8000 marks the first one seen
        if (!(ly.gz_need & 0x8000)) {
          ly.gz_need = static_cast<std::uint16_t>(0x8000 | b);
        } else {
          ly.gz_need = static_cast<std::uint16_t>((ly.gz_need & 0xff) | (b << 8));
          ly.gz_state = ly.gz_need ? kGzExtra : kGzName;
        }
        break;
      case kGzExtra:
        if (--ly.gz_need == 0) ly.gz_state = kGzName;
        break;
      case kGzName:
        if (b == 0) ly.gz_state = kGzComment;
        break;
      case kGzComment:
        if (b == 0) {
          ly.gz_state = kGzCrc;
          ly.gz_need = 2;
        }
        break;
      case kGzCrc:
        if (--ly.gz_need == 0) ly.gz_state = kGzDone;
        break;
      default:
        break;
    }
  }
  return i;
}

void zlib_layer(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in,
                bool final);

// Decoding failed before any output: try raw deflate over everything given so far when that
// is still kept and the label allows it, else give the layer up (fail_layer_all).
void zlib_failed_early(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  if (!ly.retried && ly.fmt != kFmtRaw && ly.in <= ly.prefix_len &&
      zlib_start(c.sh.decoder(ly.decoder), true)) {
    ly.retried = true;
    ly.fmt = kFmtRaw;
    std::uint8_t all[sizeof(ly.prefix)];
    const std::size_t n = static_cast<std::size_t>(ly.in);
    std::memcpy(all, ly.prefix, n);
    zlib_layer(c, dir, tx, layer, Bytes(all, n), false);
    return;
  }
  fail_layer_all(c, dir, tx, layer, in);
}

void run_zlib(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in,
              Bytes whole) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  HttpDecoder& d = c.sh.decoder(ly.decoder);
  std::uint8_t* out = c.sh.layer_out(layer);
  d.zs.next_in = const_cast<Bytef*>(in.data());
  d.zs.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    d.zs.next_out = out;
    d.zs.avail_out = static_cast<uInt>(HttpShared::kChunk);
    uInt avail_before = d.zs.avail_in;
    int ret = inflate(&d.zs, Z_NO_FLUSH);
    std::size_t produced = HttpShared::kChunk - d.zs.avail_out;
    std::size_t consumed = avail_before - d.zs.avail_in;
    ly.used += consumed;
    Bytes rest(d.zs.next_in, d.zs.avail_in);
    if (produced && ly.fmt == kFmtGzip)
      ly.crc = static_cast<std::uint32_t>(crc32(ly.crc, out, static_cast<uInt>(produced)));
    if (produced && !emit(c, dir, tx, layer, Bytes(out, produced))) return;
    if (ret == Z_STREAM_END) {
      ly.ended = true;
      if (ly.fmt == kFmtGzip && rest.size() >= 8) {
        // The trailer is not enforced (browsers ignore it) but a wrong one is counted.
        std::uint32_t crc = 0, size = 0;
        for (std::size_t k = 0; k < 4; ++k) {
          crc |= static_cast<std::uint32_t>(rest[k]) << (8 * k);
          size |= static_cast<std::uint32_t>(rest[4 + k]) << (8 * k);
        }
        if (crc != ly.crc || size != static_cast<std::uint32_t>(ly.out))
          c.count(HttpCounter::gzip_bad_trailer);
      }
      return;
    }
    if (ret == Z_DATA_ERROR && ly.out > 0 && d.zs.msg &&
        (std::strcmp(d.zs.msg, "incorrect data check") == 0 ||
         std::strcmp(d.zs.msg, "incorrect length check") == 0)) {
      // Everything was decoded; only the checksum trailer is wrong, as browsers tolerate.
      c.count(HttpCounter::gzip_bad_trailer);
      ly.ended = true;
      return;
    }
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      if (ly.out == 0) {
        zlib_failed_early(c, dir, tx, layer, whole);
        return;
      }
      fail_layer(c, dir, tx, layer, rest);
      return;
    }
    if (d.zs.avail_in == 0 && d.zs.avail_out != 0) return;  // all input used
    if (produced == 0 && consumed == 0) return;             // no progress possible
  }
}

constexpr std::size_t kSniff = 16;  // body bytes looked at to tell text from compressed data

// Printable text (and TAB, CR, LF) only: compressed data almost never starts so.
bool looks_like_text(Bytes b) {
  for (std::uint8_t ch : b)
    if ((ch < 0x20 || ch > 0x7e) && ch != '\t' && ch != '\r' && ch != '\n') return false;
  return true;
}

// A gzip / deflate layer. The format is sniffed from the first kSniff bytes rather than
// trusted from the label (servers mix them up, browsers cope): printable text = not encoded at
// all (clear text sent as "gzip" is common, and raw-inflating text yields garbage), 0x1f = gzip
// member, a valid zlib header = zlib stream, anything else = raw deflate. `final`: the body
// ended, decide on what there is.
void zlib_layer(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in,
                bool final) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  if (in.empty() && !final) return;
  if (ly.fmt == kFmtUndecided) {
    if (ly.in < kSniff && !final) return;  // kept in the prefix until there is enough
    const std::size_t kept = ly.in < ly.prefix_len ? static_cast<std::size_t>(ly.in) : ly.prefix_len;
    const std::size_t before = static_cast<std::size_t>(ly.in - in.size());  // < kSniff, kept
    const Bytes head(ly.prefix, kept < kSniff ? kept : kSniff);
    if (head.empty()) return;
    if (looks_like_text(head)) {
      ly.retried = true;
      c.count(HttpCounter::decompress_not_encoded);
      fail_layer_split(c, dir, tx, layer, Bytes(ly.prefix, final ? kept : before), in);
      return;
    }
    if (head[0] == 0x1f)
      ly.fmt = kFmtGzip;
    else if (head.size() >= 2 && (head[0] & 0x0f) == 8 && (head[0] >> 4) <= 7 &&
             ((head[0] << 8) | head[1]) % 31 == 0)
      ly.fmt = kFmtZlib;
    else
      ly.fmt = kFmtRaw;
    ly.gz_state = kGzFixed;
    ly.gz_need = 10;
    ly.gz_flags = 0;
    if (!zlib_start(c.sh.decoder(ly.decoder), ly.fmt != kFmtZlib)) {
      fail_layer_split(c, dir, tx, layer, Bytes(ly.prefix, final ? kept : before), in);
      return;
    }
    // The bytes held back while sniffing first, then this input.
    if (before > 0 || final) {
      std::uint8_t held[sizeof(ly.prefix)];
      const std::size_t h = final ? kept : before;
      std::memcpy(held, ly.prefix, h);
      zlib_layer(c, dir, tx, layer, Bytes(held, h), false);
      if (final || ly.passthrough || ly.ended || c.s.dir[dir_index(dir)].decode_stopped) return;
    }
  }
  if (in.empty()) return;
  Bytes data = in;
  if (ly.fmt == kFmtGzip && ly.gz_state != kGzDone) {
    const std::size_t k = gzip_header(ly, data);
    if (ly.gz_state == kGzBad) {
      zlib_failed_early(c, dir, tx, layer, in);
      return;
    }
    ly.used += k;
    data = data.subspan(k);
    if (data.empty()) return;
  }
  run_zlib(c, dir, tx, layer, data, in);
}

// LZMA "alone" header: properties byte, dictionary size (LE32), uncompressed size (LE64).
constexpr std::size_t kLzmaDictAt = 1;
constexpr std::uint32_t kLzmaDictMax = kLzmaMemlimit / 2;

void run_lzma_bytes(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  HttpDecoder& d = c.sh.decoder(ly.decoder);
  std::uint8_t* out = c.sh.layer_out(layer);
  d.ls.next_in = in.data();
  d.ls.avail_in = in.size();
  for (;;) {
    d.ls.next_out = out;
    d.ls.avail_out = HttpShared::kChunk;
    std::size_t avail_before = d.ls.avail_in;
    lzma_ret ret = lzma_code(&d.ls, LZMA_RUN);
    std::size_t produced = HttpShared::kChunk - d.ls.avail_out;
    std::size_t consumed = avail_before - d.ls.avail_in;
    ly.used += consumed;
    Bytes rest(d.ls.next_in, d.ls.avail_in);
    if (produced && !emit(c, dir, tx, layer, Bytes(out, produced))) return;
    if (ret == LZMA_STREAM_END) {
      ly.ended = true;
      return;
    }
    if (ret != LZMA_OK && ret != LZMA_BUF_ERROR) {
      if (ly.out == 0)
        fail_layer_all(c, dir, tx, layer, in);
      else
        fail_layer(c, dir, tx, layer, rest);
      return;
    }
    if (d.ls.avail_in == 0 && d.ls.avail_out != 0) return;
    if (produced == 0 && consumed == 0) return;
  }
}

// The dictionary size announced in the header is only an upper bound of how far back the data
// refers; liblzma would allocate all of it (often 8 MiB+) and fail the memory limit. It is
// clamped to kLzmaDictMax instead: data within that reach decodes the same, data reaching
// further fails at that point (libhtp grows its dictionary up to the limit to the same effect).
void run_lzma(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in) {
  HttpLayer& ly = c.s.dir[dir_index(dir)].layers[layer];
  constexpr std::size_t kHead = kLzmaDictAt + 4;
  const std::uint64_t before = ly.in - in.size();
  if (before >= kHead) {
    run_lzma_bytes(c, dir, tx, layer, in);
    return;
  }
  if (ly.in < kHead) return;  // the header start is kept in the prefix until complete
  std::uint8_t head[kHead];
  std::memcpy(head, ly.prefix, kHead);
  std::uint32_t dict = 0;
  for (std::size_t k = 0; k < 4; ++k) dict |= static_cast<std::uint32_t>(head[kLzmaDictAt + k]) << (8 * k);
  if (dict > kLzmaDictMax) {
    for (std::size_t k = 0; k < 4; ++k)
      head[kLzmaDictAt + k] = static_cast<std::uint8_t>(kLzmaDictMax >> (8 * k));
  }
  run_lzma_bytes(c, dir, tx, layer, Bytes(head, kHead));
  if (ly.passthrough || ly.ended || c.s.dir[dir_index(dir)].decode_stopped) return;
  run_lzma_bytes(c, dir, tx, layer, in.subspan(static_cast<std::size_t>(kHead - before)));
}

void feed(HttpCtx& c, FlowDirection dir, HttpTx& tx, std::size_t layer, Bytes in) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  if (ds.decode_stopped || in.empty()) return;
  // Rules see no byte past the body limit: decoding (and its cost) stops there.
  const std::uint64_t limit = is_request(dir) ? c.sh.config().request_body_limit
                                               : c.sh.config().response_body_limit;
  if (ds.delivered >= limit) {
    if (!ds.limit_counted) c.count(HttpCounter::body_limit_reached);
    ds.limit_counted = true;
    return;
  }
  if (layer >= ds.nlayers) {
    deliver(c, dir, tx, in);
    return;
  }
  HttpLayer& ly = ds.layers[layer];
  if (ly.ended) return;
  if (ly.passthrough) {
    feed(c, dir, tx, layer + 1, in);
    return;
  }
  if (ly.prefix_len < sizeof(ly.prefix) && ly.in == ly.prefix_len) {
    std::size_t n = sizeof(ly.prefix) - ly.prefix_len;
    if (n > in.size()) n = in.size();
    std::memcpy(ly.prefix + ly.prefix_len, in.data(), n);
    ly.prefix_len = static_cast<std::uint8_t>(ly.prefix_len + n);
  }
  ly.in += in.size();
  if (ly.coding == HttpCoding::lzma)
    run_lzma(c, dir, tx, layer, in);
  else
    zlib_layer(c, dir, tx, layer, in, false);
}

// The content codings of `tx`'s message in `dir`, in the order they were applied.
struct Codings {
  struct Item {
    HttpCoding coding;
    bool gzip;
  };
  Item list[8];
  std::size_t n = 0;
  bool unknown = false;
};

// Content-Encoding tokens (comma separated; several headers were joined the same way) are
// recognised as libhtp does: a token containing "gzip" is gzip, one containing "deflate" is
// deflate (case and NULs ignored: "x-gzip", "gz\0ip", "deflate;", ": deflate"), "lzma" when
// enabled; identity / none / empty tokens are no coding, anything else is counted and skipped.
void add_codings(Bytes value, const HttpConfig& cfg, Codings& out) {
  std::size_t i = 0;
  while (i <= value.size()) {
    std::size_t e = i;
    while (e < value.size() && value[e] != ',') ++e;
    Bytes tok = value.subspan(i, e - i);
    i = e + 1;
    Codings::Item item{HttpCoding::none, false};
    if (contains_token(tok, "gzip"))
      item = {HttpCoding::zlib, true};
    else if (contains_token(tok, "deflate"))
      item = {HttpCoding::zlib, false};
    else if (cfg.lzma && header_name_is(tok, "lzma"))
      item = {HttpCoding::lzma, false};
    if (item.coding == HttpCoding::none) {
      if (!header_name_is(tok, "") && !header_name_is(tok, "identity") && !header_name_is(tok, "none"))
        out.unknown = true;
      continue;
    }
    if (out.n < 8)
      out.list[out.n++] = item;
    else
      out.unknown = true;  // more codings than anyone decodes
  }
}

}  // namespace

void body_begin(HttpCtx& c, FlowDirection dir, HttpTx& tx) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  body_end(c, dir);
  ds.delivered = 0;
  ds.tail_len = 0;
  ds.decode_stopped = false;
  ds.limit_counted = false;
  Codings cod;
  for_each_msg_header(tx, dir, [&](const HeaderItem& h) {
    if (header_name_is(h.name, "content-encoding")) add_codings(h.value, c.sh.config(), cod);
  });
  if (cod.unknown) c.count(HttpCounter::content_encoding_unknown);
  // Decode from the last applied coding inwards (each layer sniffs the real format, so the
  // order matters little); unknown codings were skipped.
  std::size_t limit = c.sh.config().decompress_layer_limit;
  for (std::size_t k = cod.n; k > 0; --k) {
    const HttpCoding cd = cod.list[k - 1].coding;
    if (ds.nlayers >= limit) {
      c.count(HttpCounter::decompress_layer_limit);
      break;
    }
    HttpLayer& ly = ds.layers[ds.nlayers++];
    ly = HttpLayer{};
    ly.coding = cd;
    ly.gzip_label = cod.list[k - 1].gzip;
    ly.decoder = c.sh.acquire(cd);
    bool ok = ly.decoder != 0xffff;
    if (!ok) c.count(HttpCounter::decoders_exhausted);
    if (ok) ok = cd == HttpCoding::lzma ? lzma_start(c.sh.decoder(ly.decoder))
                                        : zlib_start(c.sh.decoder(ly.decoder), false);
    if (!ok) {
      if (ly.decoder != 0xffff) c.sh.release(ly.decoder);
      ly.decoder = 0xffff;
      ly.passthrough = true;
    }
  }
}

void body_data(HttpCtx& c, FlowDirection dir, HttpTx& tx, Bytes data) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  tx.msg[dir_index(dir)].body_len += data.size();  // the body as sent, de-chunked (EVE length)
  if (ds.nlayers == 0) {
    deliver(c, dir, tx, data);
    return;
  }
  feed(c, dir, tx, 0, data);
}

void body_end(HttpCtx& c, FlowDirection dir) {
  HttpDirState& ds = c.s.dir[dir_index(dir)];
  // Bodies shorter than the sniffing window are decided and decoded now, outer layer first.
  if (HttpTx* tx = ds.slot < kHttpMaxTx ? &c.s.tx[ds.slot] : nullptr) {
    for (std::size_t i = 0; i < ds.nlayers && i < kHttpMaxLayers; ++i) {
      HttpLayer& ly = ds.layers[i];
      if (ly.coding == HttpCoding::zlib && ly.fmt == kFmtUndecided && !ly.passthrough &&
          ly.in > 0 && !ds.decode_stopped)
        zlib_layer(c, dir, *tx, i, Bytes(), true);
    }
  }
  for (std::size_t i = 0; i < ds.nlayers && i < kHttpMaxLayers; ++i) {
    if (ds.layers[i].decoder != 0xffff) c.sh.release(ds.layers[i].decoder);
    ds.layers[i].decoder = 0xffff;
  }
  ds.nlayers = 0;
}

}  // namespace vigil::app::http
