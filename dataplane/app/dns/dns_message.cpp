// dns_parse: header, question section, then the three record sections in order.
#include "dataplane/app/dns/dns_message.h"

#include "dataplane/app/dns/dns_name.h"
#include "dataplane/app/dns/dns_rdata.h"

namespace vigil::app::dns {

using detail::be16;
using detail::be32;
using detail::NameError;
using detail::NameWalk;
using detail::walk_name;

namespace {

constexpr std::size_t kHeaderBytes = 12;

struct Parser {
  std::span<const std::uint8_t> msg;
  DnsShared& shared;
  DnsMessage& out;
  std::size_t pos = kHeaderBytes;
  DnsStatus status = DnsStatus::ok;  // worst seen among problems that did not stop parsing

  DnsCounters& counters() { return shared.counters(); }

  // A name error that stops parsing: the status it gives.
  DnsStatus stop(NameError e) {
    detail::count_name_error(counters(), e);
    return e == NameError::truncated ? DnsStatus::truncated : DnsStatus::malformed;
  }

  DnsStatus questions() {
    for (std::size_t i = 0; i < out.qdcount; ++i) {
      const bool store = out.question_count < kMaxQuestions;
      DnsTextArena* text = store ? &shared.scratch() : nullptr;
      const std::size_t mark = shared.scratch().mark();
      const NameWalk w = walk_name(msg, pos, text);
      if (w.error != NameError::none) return stop(w.error);
      if (msg.size() - w.end < 4) {
        shared.scratch().rewind(mark);
        return DnsStatus::truncated;
      }
      if (store) {
        DnsQuestion& q = out.questions[out.question_count++];
        q.name = shared.scratch().since(mark);
        q.type = be16(msg, w.end);
        q.klass = be16(msg, w.end + 2);
      } else {
        ++out.skipped;
      }
      pos = w.end + 4;
    }
    return DnsStatus::ok;
  }

  void edns(std::uint32_t ttl, std::uint16_t klass, DnsSection section) {
    if (section != DnsSection::additional) {
      counters().add(DnsCounter::opt_misplaced);
      return;
    }
    if (out.edns) {
      counters().add(DnsCounter::opt_duplicate);
      return;
    }
    out.edns = true;
    out.edns_udp_size = klass;
    out.edns_ext_rcode = static_cast<std::uint8_t>(ttl >> 24);
    out.edns_version = static_cast<std::uint8_t>(ttl >> 16);
    out.edns_do = (ttl & 0x8000u) != 0;
  }

  DnsStatus section(std::uint16_t count, DnsSection which, DnsRecord* records,
                    std::size_t& stored) {
    for (std::size_t i = 0; i < count; ++i) {
      const bool store = stored < kMaxRecords;
      const std::size_t mark = shared.scratch().mark();
      const NameWalk w = walk_name(msg, pos, store ? &shared.scratch() : nullptr);
      if (w.error != NameError::none) return stop(w.error);
      if (msg.size() - w.end < 10) {
        shared.scratch().rewind(mark);
        return DnsStatus::truncated;
      }
      const std::uint16_t type = be16(msg, w.end);
      const std::uint16_t klass = be16(msg, w.end + 2);
      const std::uint32_t ttl = be32(msg, w.end + 4);
      const std::size_t rdlen = be16(msg, w.end + 8);
      const std::size_t rdoff = w.end + 10;
      if (msg.size() - rdoff < rdlen) {
        shared.scratch().rewind(mark);
        return DnsStatus::truncated;
      }
      pos = rdoff + rdlen;
      if (type == rrtype::opt) {
        shared.scratch().rewind(mark);
        edns(ttl, klass, which);
        continue;
      }
      if (!store) {
        ++out.skipped;
        continue;
      }
      DnsRecord& r = records[stored++];
      r = DnsRecord{};
      r.name = shared.scratch().since(mark);
      r.type = type;
      r.klass = klass;
      r.ttl = ttl;
      r.rdata = msg.subspan(rdoff, rdlen);
      if (!detail::decode_rdata(msg, rdoff, shared, r)) {
        r.rdata_ok = false;
        counters().add(DnsCounter::bad_rdata);
        status = DnsStatus::malformed;
      }
    }
    return DnsStatus::ok;
  }

  DnsStatus run() {
    DnsStatus s = questions();
    if (s == DnsStatus::ok) s = section(out.ancount, DnsSection::answer, out.answers.data(),
                                        out.answer_count);
    if (s == DnsStatus::ok) s = section(out.nscount, DnsSection::authority,
                                        out.authorities.data(), out.authority_count);
    if (s == DnsStatus::ok) s = section(out.arcount, DnsSection::additional,
                                        out.additionals.data(), out.additional_count);
    if (s == DnsStatus::ok && pos < msg.size()) counters().add(DnsCounter::trailing_bytes);
    return s != DnsStatus::ok ? s : status;
  }
};

void clear(DnsMessage& m) {
  // Only the scalars: the arrays are large and only [0, *_count) of them is ever read.
  m.id = m.flags = 0;
  m.response = false;
  m.opcode = m.rcode = 0;
  m.aa = m.tc = m.rd = m.ra = m.z = m.ad = m.cd = false;
  m.qdcount = m.ancount = m.nscount = m.arcount = 0;
  m.question_count = m.answer_count = m.authority_count = m.additional_count = 0;
  m.skipped = 0;
  m.edns = m.edns_do = false;
  m.edns_version = m.edns_ext_rcode = 0;
  m.edns_udp_size = 0;
}

}  // namespace

DnsStatus dns_parse(std::span<const std::uint8_t> msg, DnsShared& shared, DnsMessage& out) {
  clear(out);
  shared.scratch().reset();
  DnsCounters& c = shared.counters();
  c.add(DnsCounter::messages);
  if (msg.size() < kHeaderBytes) {
    c.add(DnsCounter::truncated);
    return DnsStatus::truncated;
  }
  out.id = be16(msg, 0);
  out.flags = be16(msg, 2);
  out.response = (out.flags & 0x8000) != 0;
  out.opcode = static_cast<std::uint8_t>((out.flags >> 11) & 0xf);
  out.aa = (out.flags & 0x0400) != 0;
  out.tc = (out.flags & 0x0200) != 0;
  out.rd = (out.flags & 0x0100) != 0;
  out.ra = (out.flags & 0x0080) != 0;
  out.z = (out.flags & 0x0040) != 0;
  out.ad = (out.flags & 0x0020) != 0;
  out.cd = (out.flags & 0x0010) != 0;
  out.rcode = static_cast<std::uint8_t>(out.flags & 0xf);
  out.qdcount = be16(msg, 4);
  out.ancount = be16(msg, 6);
  out.nscount = be16(msg, 8);
  out.arcount = be16(msg, 10);
  c.add(out.response ? DnsCounter::responses : DnsCounter::requests);
  if (out.z) c.add(DnsCounter::z_flag_set);
  if (out.opcode == 3 || out.opcode > 6) c.add(DnsCounter::bad_opcode);

  Parser p{msg, shared, out};
  const DnsStatus s = p.run();
  if (out.skipped != 0) {
    c.add(DnsCounter::too_many_records);
    c.add(DnsCounter::records_skipped, out.skipped);
  }
  if (s == DnsStatus::truncated) c.add(DnsCounter::truncated);
  if (s == DnsStatus::malformed) c.add(DnsCounter::malformed);
  return s;
}

std::span<const DnsRecord> dns_records(const DnsMessage& m, DnsSection s) {
  switch (s) {
    case DnsSection::answer:
      return {m.answers.data(), m.answer_count};
    case DnsSection::authority:
      return {m.authorities.data(), m.authority_count};
    case DnsSection::additional:
      return {m.additionals.data(), m.additional_count};
  }
  return {};
}

}  // namespace vigil::app::dns
