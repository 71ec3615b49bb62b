#include "tools/pcapgen/app/content.h"

#include <cstdio>

namespace vigil::pcapgen {

namespace {

constexpr std::string_view kWords[] = {
    "network",  "office",   "report",   "quarterly", "meeting",  "schedule", "project",  "update",
    "customer", "service",  "support",  "account",   "invoice",  "delivery", "team",     "review",
    "policy",   "security", "printer",  "calendar",  "budget",   "planning", "summary",  "notes",
    "release",  "version",  "download", "document",  "training", "welcome",  "contact",  "about",
    "product",  "pricing",  "details",  "status",    "system",   "morning",  "weekly",   "results",
    "the",      "and",      "for",      "with",      "from",     "this",     "that",     "will",
    "our",      "your",     "new",      "all",       "more",     "about",    "please",   "after"};

std::string_view word(Rng& r) { return kWords[uniform(r, 0, std::size(kWords) - 1)]; }

}  // namespace

std::string words(Rng& r, std::size_t count) {
  std::string s;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) s += ' ';
    s += word(r);
  }
  return s;
}

std::string html_page(Rng& r, std::string_view title, std::size_t approx_bytes) {
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  s += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  s += title;
  s += "</title>\n<link rel=\"stylesheet\" href=\"/static/site.css\">\n</head>\n<body>\n";
  s += "<header><nav><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/contact\">Contact</a>"
       "</nav></header>\n<main>\n<h1>";
  s += title;
  s += "</h1>\n";
  int section = 1;
  while (s.size() + 60 < approx_bytes) {
    if (uniform(r, 0, 5) == 0) {
      char h[64];
      std::snprintf(h, sizeof h, "<h2 id=\"s%d\">", section++);
      s += h;
      s += words(r, uniform(r, 2, 5));
      s += "</h2>\n";
    }
    s += "<p>";
    s += words(r, uniform(r, 12, 60));
    s += ".</p>\n";
  }
  s += "</main>\n<footer>&copy; 2024 Example Corp</footer>\n</body>\n</html>\n";
  return s;
}

std::string css_sheet(Rng& r, std::size_t approx_bytes) {
  static constexpr std::string_view kSelectors[] = {"body", "header", "nav a", "main", "h1", "h2", "p",
                                                    "footer", ".card", ".button", "#content", "table td"};
  std::string s = "/* site.css */\n";
  char buf[160];
  while (s.size() < approx_bytes) {
    // Draws are sequenced before the call: argument evaluation order is unspecified.
    const std::string_view selector = kSelectors[uniform(r, 0, std::size(kSelectors) - 1)];
    const unsigned v_margin = uniform(r, 0, 24), h_margin = uniform(r, 0, 24), padding = uniform(r, 0, 16);
    const unsigned color = uniform(r, 0, 0xffffff), font = uniform(r, 80, 160);
    std::snprintf(buf, sizeof buf,
                  "%s {\n  margin: %upx %upx;\n  padding: %upx;\n  color: #%06x;\n  font-size: %u%%;\n}\n",
                  selector.data(), v_margin, h_margin, padding, color, font);
    s += buf;
  }
  return s;
}

std::string json_document(Rng& r, std::size_t approx_bytes) {
  std::string s = "{\"status\":\"ok\",\"items\":[";
  char buf[200];
  bool first = true;
  unsigned id = uniform(r, 1000, 9000);
  while (s.size() + 100 < approx_bytes) {
    const std::string item_name = words(r, 2);
    const unsigned count = uniform(r, 0, 500);
    const bool active = uniform(r, 0, 1) == 1;
    std::snprintf(buf, sizeof buf, "%s{\"id\":%u,\"name\":\"%s\",\"count\":%u,\"active\":%s}",
                  first ? "" : ",", id++, item_name.c_str(), count, active ? "true" : "false");
    s += buf;
    first = false;
  }
  s += "]}";
  return s;
}

}  // namespace vigil::pcapgen
