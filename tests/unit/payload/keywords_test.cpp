// isdataat, dsize, bsize, byte_test, byte_jump, byte_extract, evaluated against buffers.
#include <CppUTest/TestHarness.h>

#include <string>

#include "tests/unit/payload/payload_test_util.h"

using namespace payload_test;

TEST_GROUP(PayloadIsdataat){};

TEST(PayloadIsdataat, Absolute) {
  CHECK_TRUE(matches("isdataat:3;", "abcd"));
  CHECK_FALSE(matches("isdataat:4;", "abcd"));
  CHECK_TRUE(matches("isdataat:!4;", "abcd"));
  CHECK_FALSE(matches("isdataat:!3;", "abcd"));
  CHECK_FALSE(matches("isdataat:0;", ""));
}

TEST(PayloadIsdataat, RelativeAtTheExactEnd) {
  // "cd" ends the buffer: no byte after it, but position 0 past it is the end itself.
  CHECK_FALSE(matches("content:\"cd\"; isdataat:1,relative;", "abcd"));
  CHECK_TRUE(matches("content:\"cd\"; isdataat:!1,relative;", "abcd"));
  CHECK_TRUE(matches("content:\"cd\"; isdataat:0,relative;", "abcd"));
  CHECK_TRUE(matches("content:\"bc\"; isdataat:1,relative;", "abcd"));
  CHECK_FALSE(matches("content:\"bc\"; isdataat:2,relative;", "abcd"));
  // backtracking: the first "ab" is at the end of nothing, the second has data after it
  CHECK_TRUE(matches("content:\"ab\"; isdataat:!1,relative;", "abxab"));
  CHECK_FALSE(matches("content:\"ab\"; isdataat:!1,relative;", "abxabx"));
}

TEST_GROUP(PayloadSize){};

TEST(PayloadSize, DsizeForms) {
  CHECK_TRUE(matches("dsize:4;", "abcd"));
  CHECK_FALSE(matches("dsize:4;", "abc"));
  CHECK_TRUE(matches("dsize:!4;", "abc"));
  CHECK_FALSE(matches("dsize:!4;", "abcd"));
  CHECK_TRUE(matches("dsize:<4;", "abc"));
  CHECK_FALSE(matches("dsize:<4;", "abcd"));
  CHECK_TRUE(matches("dsize:<=4;", "abcd"));
  CHECK_TRUE(matches("dsize:>3;", "abcd"));
  CHECK_FALSE(matches("dsize:>4;", "abcd"));
  CHECK_TRUE(matches("dsize:>=4;", "abcd"));
  CHECK_TRUE(matches("dsize:2<>5;", "abcd"));
  CHECK_FALSE(matches("dsize:2<>4;", "abcd"));  // both ends excluded
  CHECK_FALSE(matches("dsize:4<>6;", "abcd"));
  CHECK_TRUE(matches("dsize:3-5;", "abcd"));
  CHECK_FALSE(matches("dsize:!3<>5;", "abcd"));
  CHECK_TRUE(matches("dsize:!4<>6;", "abcd"));
  CHECK_TRUE(matches("dsize:0;", ""));
  CHECK_TRUE(matches("dsize:>0; content:\"a\";", "a"));
}

TEST(PayloadSize, Bsize) {
  CHECK_TRUE(matches("content:\"ab\"; bsize:4;", "abcd"));
  CHECK_FALSE(matches("content:\"ab\"; bsize:5;", "abcd"));
  CHECK_TRUE(matches("bsize:1<>5;", "abcd"));
  CHECK_TRUE(matches("bsize:>=4;", "abcd"));
  CHECK_FALSE(matches("bsize:<4;", "abcd"));
}

TEST_GROUP(PayloadByteTest){};

TEST(PayloadByteTest, Endianness) {
  const std::string buf("\x01\x02\x00\x00", 4);
  CHECK_TRUE(matches("byte_test:2,=,258,0;", buf));
  CHECK_TRUE(matches("byte_test:2,=,258,0,big;", buf));
  CHECK_TRUE(matches("byte_test:2,=,513,0,little;", buf));
  CHECK_FALSE(matches("byte_test:2,=,258,0,little;", buf));
  CHECK_TRUE(matches("byte_test:4,=,0x01020000,0;", buf));
  CHECK_TRUE(matches("byte_test:4,=,0x0201,0,little;", buf));
  CHECK_TRUE(matches("byte_test:3,=,0x010200,0;", buf));
}

TEST(PayloadByteTest, EachOperator) {
  const std::string buf("\x10", 1);  // 16
  CHECK_TRUE(matches("byte_test:1,<,17,0;", buf));
  CHECK_FALSE(matches("byte_test:1,<,16,0;", buf));
  CHECK_TRUE(matches("byte_test:1,>,15,0;", buf));
  CHECK_FALSE(matches("byte_test:1,>,16,0;", buf));
  CHECK_TRUE(matches("byte_test:1,=,16,0;", buf));
  CHECK_FALSE(matches("byte_test:1,=,15,0;", buf));
  CHECK_TRUE(matches("byte_test:1,<=,16,0;", buf));
  CHECK_FALSE(matches("byte_test:1,<=,15,0;", buf));
  CHECK_TRUE(matches("byte_test:1,>=,16,0;", buf));
  CHECK_FALSE(matches("byte_test:1,>=,17,0;", buf));
  CHECK_TRUE(matches("byte_test:1,&,0x10,0;", buf));
  CHECK_FALSE(matches("byte_test:1,&,0x0f,0;", buf));
  CHECK_TRUE(matches("byte_test:1,^,0x11,0;", buf));
  CHECK_FALSE(matches("byte_test:1,^,0x10,0;", buf));
  CHECK_TRUE(matches("byte_test:1,!=,15,0;", buf));
  CHECK_FALSE(matches("byte_test:1,!=,16,0;", buf));
  CHECK_TRUE(matches("byte_test:1,!,15,0;", buf));
  CHECK_TRUE(matches("byte_test:1,!<,16,0;", buf));
  CHECK_FALSE(matches("byte_test:1,!&,0x10,0;", buf));
}

TEST(PayloadByteTest, StringsRelativeBitmaskBounds) {
  CHECK_TRUE(matches("byte_test:3,=,123,0,string,dec;", "123x"));
  CHECK_TRUE(matches("byte_test:2,=,255,0,string,hex;", "fF"));
  CHECK_TRUE(matches("byte_test:3,=,8,0,string,oct;", "010"));
  CHECK_TRUE(matches("byte_test:4,=,12,0,string,dec;", "12ab"));  // leading digits, as strtoull
  CHECK_FALSE(matches("byte_test:2,=,0,0,string,dec;", "ab"));    // no digit at all
  CHECK_TRUE(matches("content:\"len=\"; byte_test:2,>,40,0,relative,string,dec;", "xlen=42"));
  CHECK_FALSE(matches("content:\"len=\"; byte_test:2,>,42,0,relative,string,dec;", "xlen=42"));
  CHECK_TRUE(matches("content:\"len=\"; byte_test:1,=,0x6c,-4,relative;", "xlen=42"));
  // bitmask: masked then shifted right by the mask's trailing zeros
  CHECK_TRUE(matches("byte_test:1,=,3,0,bitmask 0x30;", std::string("\x3f", 1)));
  CHECK_TRUE(matches("byte_test:2,=,0xab,0,bitmask 0x0ff0;", std::string("\x0a\xbc", 2)));
  // reading past either end of the buffer never matches
  CHECK_FALSE(matches("byte_test:2,=,0,3;", std::string("\0\0\0\0", 4)));
  CHECK_TRUE(matches("byte_test:2,=,0,2;", std::string("\0\0\0\0", 4)));
  CHECK_FALSE(matches("content:\"a\"; byte_test:1,=,0,-2,relative;", "ab"));
  CHECK_FALSE(matches("byte_test:8,=,0,0;", std::string("\0\0\0\0\0\0\0", 7)));
  CHECK_TRUE(matches("byte_test:8,=,0xffffffffffffffff,0;", std::string(8, '\xff')));
}

TEST(PayloadByteTest, ValueFromByteExtract) {
  // the second byte must equal the first
  CHECK_TRUE(matches("byte_extract:1,0,n; byte_test:1,=,n,1;", "\x05\x05"));
  CHECK_FALSE(matches("byte_extract:1,0,n; byte_test:1,=,n,1;", "\x05\x06"));
}

TEST_GROUP(PayloadByteJump){};

TEST(PayloadByteJump, FromReadPosition) {
  // length 2 at 0, skip 2 bytes after it: "ok" follows.
  CHECK_TRUE(matches("byte_jump:1,0; content:\"ok\"; within:2;", "\x02xxok"));
  CHECK_FALSE(matches("byte_jump:1,0; content:\"ok\"; within:2;", "\x01xxok"));
  CHECK_TRUE(
      matches("byte_jump:2,0,little; content:\"ok\"; within:2;", std::string("\x01\x00xok", 5)));
}

TEST(PayloadByteJump, MultiplierAlignPostOffset) {
  CHECK_TRUE(matches("byte_jump:1,0,multiplier 2; content:\"ok\"; within:2;", "\x02xxxxok"));
  // 1 aligned up to 4
  CHECK_TRUE(matches("byte_jump:1,0,align; content:\"ok\"; within:2;", "\x01xxxxok"));
  CHECK_FALSE(matches("byte_jump:1,0,align; content:\"ok\"; within:2;", "\x01xok"));
  // 4 stays 4
  CHECK_TRUE(matches("byte_jump:1,0,align; content:\"ok\"; within:2;", "\x04xxxxok"));
  CHECK_TRUE(matches("byte_jump:1,0,post_offset 2; content:\"ok\"; within:2;", "\x01xxxok"));
  CHECK_TRUE(matches("byte_jump:1,0,post_offset -1; content:\"ok\"; within:2;", "\x03xxok"));
  // multiplier, then align, then post_offset: 3*3=9 -> 12, -2 -> 10, from position 1
  CHECK_TRUE(matches("byte_jump:1,0,multiplier 3,align,post_offset -2; content:\"ok\"; within:2;",
                     "\x03"
                     "0123456789ok"));
}

TEST(PayloadByteJump, FromBeginningEndAndBounds) {
  CHECK_TRUE(matches("byte_jump:1,3,from_beginning; content:\"ok\"; within:2;",
                     std::string("\x00x\x00\x05xok", 7)));
  CHECK_TRUE(matches("byte_jump:1,0,from_end,post_offset -2; content:\"ok\"; within:2;",
                     std::string("\x00xxok", 5)));
  // the target must be a byte of the buffer: the last one is, the end is not (as Suricata)
  CHECK_TRUE(matches("byte_jump:1,0; isdataat:!2,relative;", "\x01xx"));
  CHECK_FALSE(matches("byte_jump:1,0; isdataat:!1,relative;", "\x01xx"));
  CHECK_FALSE(matches("byte_jump:1,0;", "\x02xx"));
  CHECK_TRUE(matches("byte_jump:1,0;", "\x01xx"));
  CHECK_FALSE(matches("byte_jump:1,0,from_end;", "\x00xx"));
  CHECK_FALSE(matches("byte_jump:1,0;", ""));
  // a jump before the buffer start lands on the start
  CHECK_FALSE(matches("byte_jump:1,0,post_offset -50; content:\"ab\"; within:2;",
                      std::string("\x00xx", 3) + "ab"));
  CHECK_TRUE(matches("byte_jump:1,0,post_offset -50; content:\"|01|x\"; within:2;", "\x01xx"));
  CHECK_TRUE(matches("content:\"L\"; byte_jump:1,0,relative,string,dec; content:\"!\"; within:1;",
                     "xL3abc!"));
}

TEST_GROUP(PayloadByteExtract){};

TEST(PayloadByteExtract, MultiplierAlignAndPosition) {
  // extract moves the position past the bytes read
  CHECK_TRUE(matches("byte_extract:1,0,n; content:\"ok\"; within:2;", "\x09ok"));
  CHECK_TRUE(matches("byte_extract:1,0,n,multiplier 2; content:\"ok\"; distance:n; within:2;",
                     "\x02"
                     "1234ok"));
  CHECK_TRUE(matches("byte_extract:1,0,n,align 4; content:\"ok\"; distance:n; within:2;",
                     "\x03"
                     "1234ok"));
  CHECK_TRUE(matches("byte_extract:1,0,n,align 2; content:\"ok\"; distance:n; within:2;",
                     "\x03"
                     "1234ok"));
  CHECK_FALSE(matches("byte_extract:1,0,n,align 2; content:\"ok\"; distance:n; within:2;",
                      "\x03"
                      "123ok"));
  CHECK_TRUE(matches("byte_extract:2,0,n,string,dec; isdataat:n;",
                     "12"
                     "3456789012x"));
  CHECK_FALSE(matches("byte_extract:2,0,n,string,dec; isdataat:n;",
                      "12"
                      "345678901"));
  CHECK_FALSE(matches("byte_extract:2,0,n;", "\x01"));
}

TEST(PayloadByteExtract, BacktrackedPerOccurrence) {
  // each "T" is followed by a length; only the second one's length fits
  const char* rule =
      "content:\"T\"; byte_extract:1,0,len,relative; content:\"end\"; distance:len; within:3;";
  CHECK_TRUE(matches(rule,
                     "T\x03xxT\x01"
                     "aend"));
  CHECK_FALSE(matches(rule,
                      "T\x03xxT\x02"
                      "aend"));
}
