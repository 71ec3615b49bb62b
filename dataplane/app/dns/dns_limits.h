// The DNS parser's fixed limits, in one place so the scratch size follows from them.
#pragma once

#include <cstddef>

namespace vigil::app::dns {

inline constexpr std::size_t kMaxQuestions = 32, kMaxRecords = 64;  // stored per message (section)
inline constexpr std::size_t kMaxNameOctets = 255;   // RFC 1035 2.3.4, wire form incl. root
inline constexpr std::size_t kMaxNameJumps = 32;     // compression pointers followed per name
// Text of one decoded name or rdata field. A name's text is at most 1012 bytes (253 label
// octets, each escaped as \xHH at worst, plus dots), so names always fit; TXT and CAA text is
// cut here (counted).
inline constexpr std::size_t kMaxTextBytes = 1024;
// Text pieces per stored record: owner name, rdata_text, soa_rname.
inline constexpr std::size_t kTextPiecesPerRecord = 3;
inline constexpr std::size_t kScratchBytes =
    (kMaxQuestions + 3 * kMaxRecords * kTextPiecesPerRecord) * kMaxTextBytes;

}  // namespace vigil::app::dns
