#include "dataplane/detect/engine/classification.h"

#include <CppUTest/TestHarness.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

using namespace vigil::detect;

namespace {

// The one error a single bad line gives.
std::string error_of(const char* line) {
  ClassificationParseResult r = parse_classification_config(line, "c.config");
  if (r.errors.size() != 1) FAIL((std::string("expected one error for: ") + line).c_str());
  UNSIGNED_LONGS_EQUAL(0, r.table.types.size());
  return r.errors[0];
}

void check_type(const ClassificationTable& t, const char* name, const char* description,
                unsigned priority) {
  const ClassType* c = t.find(name);
  if (c == nullptr) FAIL((std::string("no classtype ") + name).c_str());
  STRCMP_EQUAL(description, c->description.c_str());
  UNSIGNED_LONGS_EQUAL(priority, c->priority);
}

}  // namespace

TEST_GROUP(ClassificationConfig){};

TEST(ClassificationConfig, LinesCommentsAndBlanks) {
  ClassificationParseResult r = parse_classification_config(
      "#\n# config classification:shortname,short description,priority\n#\n\n"
      "config classification: not-suspicious,Not Suspicious Traffic,3\r\n"
      "   \t\n"
      "  # indented comment\n"
      "config classification: bad-unknown,Potentially Bad Traffic, 2\n"
      "config   classification :trojan-activity , A Network Trojan was detected , 1   \n"
      "configclassification:odd_name-2,Text, with, commas,4",
      "test.config");
  CHECK(r.errors.empty());
  UNSIGNED_LONGS_EQUAL(4, r.table.types.size());
  STRCMP_EQUAL("not-suspicious", r.table.types[0].name.c_str());
  check_type(r.table, "not-suspicious", "Not Suspicious Traffic", 3);
  check_type(r.table, "bad-unknown", "Potentially Bad Traffic", 2);
  check_type(r.table, "trojan-activity", "A Network Trojan was detected", 1);
  check_type(r.table, "odd_name-2", "Text, with, commas", 4);
}

TEST(ClassificationConfig, NamesAreLowerCasedAndFoundWithoutCase) {
  ClassificationParseResult r =
      parse_classification_config("config classification: Web-Attack,Web Attack,1\n", "x");
  CHECK(r.errors.empty());
  STRCMP_EQUAL("web-attack", r.table.types[0].name.c_str());
  CHECK(r.table.find("WEB-ATTACK") == &r.table.types[0]);
  CHECK(r.table.find("web-attack") == &r.table.types[0]);
  CHECK(r.table.find("web-attac") == nullptr);
  CHECK(r.table.find("") == nullptr);
}

TEST(ClassificationConfig, BadLinesAreReportedAndSkipped) {
  ClassificationParseResult r = parse_classification_config(
      "config classification: good-one,Good,1\n"
      "config classification: 9bad,Bad,1\n"
      "config classification: good-two,Good too,2\n",
      "rules/classification.config");
  UNSIGNED_LONGS_EQUAL(2, r.table.types.size());
  UNSIGNED_LONGS_EQUAL(1, r.errors.size());
  STRCMP_EQUAL(
      "rules/classification.config:2: bad classtype name '9bad' (a letter, then "
      "letters, digits, '-', '_')",
      r.errors[0].c_str());
}

TEST(ClassificationConfig, EveryErrorPath) {
  STRCMP_EQUAL(
      "c.config:1: not a 'config classification: name,description,priority' line: "
      "'config reference: url http://'",
      error_of("config reference: url http://").c_str());
  STRCMP_CONTAINS("not a 'config classification", error_of("classification: a,b,1").c_str());
  STRCMP_CONTAINS("not a 'config classification", error_of("config classification a,b,1").c_str());
  STRCMP_CONTAINS("not a 'config classification",
                  error_of("configuration classification: a,b,1").c_str());
  STRCMP_EQUAL("c.config:1: expected name,description,priority: 'a,b'",
               error_of("config classification: a,b").c_str());
  STRCMP_CONTAINS("expected name,description,priority",
                  error_of("config classification: a").c_str());
  STRCMP_CONTAINS("bad classtype name ''", error_of("config classification: ,b,1").c_str());
  STRCMP_CONTAINS("bad classtype name 'a b'", error_of("config classification: a b,c,1").c_str());
  STRCMP_CONTAINS("bad classtype name 'a:b'", error_of("config classification: a:b,c,1").c_str());
  STRCMP_CONTAINS(
      "longer than 63 characters",
      error_of(("config classification: " + std::string(64, 'a') + ",d,1").c_str()).c_str());
  STRCMP_EQUAL("c.config:1: classtype a has no description",
               error_of("config classification: a, ,1").c_str());
  STRCMP_CONTAINS(
      "description of classtype a is longer than 511 characters",
      error_of(("config classification: a," + std::string(512, 'd') + ",1").c_str()).c_str());
  STRCMP_EQUAL("c.config:1: classtype a has no priority",
               error_of("config classification: a,b,").c_str());
  STRCMP_EQUAL("c.config:1: priority of classtype a is not a number: 'high'",
               error_of("config classification: a,b,high").c_str());
  STRCMP_CONTAINS("is not a number: '-1'", error_of("config classification: a,b,-1").c_str());
  STRCMP_CONTAINS("is not a number: '1 # one'",
                  error_of("config classification: a,b,1 # one").c_str());
  STRCMP_EQUAL("c.config:1: priority of classtype a '256' is above 255",
               error_of("config classification: a,b,256").c_str());
  STRCMP_CONTAINS("is above 255",
                  error_of("config classification: a,b,99999999999999999999999").c_str());
}

TEST(ClassificationConfig, RepeatedNameKeepsTheFirst) {
  ClassificationParseResult r = parse_classification_config(
      "config classification: misc,First,1\n\nconfig classification: MISC,Second,2\n", "c");
  UNSIGNED_LONGS_EQUAL(1, r.table.types.size());
  check_type(r.table, "misc", "First", 1);
  UNSIGNED_LONGS_EQUAL(1, r.errors.size());
  STRCMP_EQUAL("c:3: classtype misc already defined at line 1; the first definition is kept",
               r.errors[0].c_str());
}

TEST(ClassificationConfig, EmptyText) {
  ClassificationParseResult r = parse_classification_config("", "c");
  CHECK(r.errors.empty());
  CHECK(r.table.types.empty());
  CHECK(r.table.find("misc-activity") == nullptr);
}

TEST(ClassificationConfig, EtOpenFile) {
  std::ifstream in(std::string(VIGIL_ET_OPEN_DIR) + "/classification.config");
  if (!in) return;  // ../shared absent: nothing to check
  std::stringstream text;
  text << in.rdbuf();
  ClassificationParseResult r = parse_classification_config(text.str(), "classification.config");
  for (const std::string& e : r.errors) FAIL(e.c_str());
  UNSIGNED_LONGS_EQUAL(42, r.table.types.size());
  check_type(r.table, "trojan-activity", "A Network Trojan was detected", 1);
  check_type(r.table, "bad-unknown", "Potentially Bad Traffic", 2);
  check_type(r.table, "tcp-connection", "A TCP connection was detected", 4);
  check_type(r.table, "command-and-control", "Malware Command and Control Activity Detected", 1);
  // Every classtype of the file is in the built-in table, with the same text and priority.
  for (const ClassType& t : r.table.types)
    check_type(default_classification(), t.name.c_str(), t.description.c_str(), t.priority);
}

TEST_GROUP(DefaultClassification){};

TEST(DefaultClassification, StandardNames) {
  const ClassificationTable& t = default_classification();
  UNSIGNED_LONGS_EQUAL(43, t.types.size());
  UNSIGNED_LONGS_EQUAL(1, t.find("trojan-activity")->priority);
  UNSIGNED_LONGS_EQUAL(3, t.find("misc-activity")->priority);
  UNSIGNED_LONGS_EQUAL(1, t.find("web-application-attack")->priority);
  UNSIGNED_LONGS_EQUAL(2, t.find("bad-unknown")->priority);
  UNSIGNED_LONGS_EQUAL(1, t.find("attempted-admin")->priority);
  UNSIGNED_LONGS_EQUAL(1, t.find("policy-violation")->priority);
  UNSIGNED_LONGS_EQUAL(3, t.find("not-suspicious")->priority);
  UNSIGNED_LONGS_EQUAL(2, t.find("attempted-recon")->priority);
  UNSIGNED_LONGS_EQUAL(4, t.find("tcp-connection")->priority);
  UNSIGNED_LONGS_EQUAL(1, t.find("inappropriate-content")->priority);
  STRCMP_EQUAL("Misc activity", t.find("Misc-Activity")->description.c_str());
  CHECK(t.find("no-such-class") == nullptr);
  CHECK(&default_classification() == &t);
}

TEST(DefaultClassification, NamesAreUniqueLowerCaseAndValid) {
  std::set<std::string> seen;
  for (const ClassType& c : default_classification().types) {
    CHECK_TRUE(seen.insert(c.name).second);
    for (char ch : c.name) CHECK_FALSE(ch >= 'A' && ch <= 'Z');
    CHECK_FALSE(c.description.empty());
    CHECK(c.priority >= 1 && c.priority <= 4);
    // Each entry reads back through the parser unchanged.
    std::string line =
        "config classification: " + c.name + "," + c.description + "," + std::to_string(c.priority);
    ClassificationParseResult r = parse_classification_config(line, "builtin");
    CHECK(r.errors.empty());
    STRCMP_EQUAL(c.name.c_str(), r.table.types.at(0).name.c_str());
  }
}
