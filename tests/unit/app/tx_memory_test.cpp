// Per-transaction detection memory: a rule alerts once per transaction; four transactions are
// remembered; each keeps its undecided rules apart.
#include <CppUTest/TestHarness.h>

#include "dataplane/app/app_buffer.h"

using vigil::app::TxAlertMemory;

TEST_GROUP(TxAlertMemory){};

TEST(TxAlertMemory, OncePerRulePerTransaction) {
  TxAlertMemory m;
  CHECK_TRUE(m.first_alert(0, 5));
  CHECK_FALSE(m.first_alert(0, 5));
  CHECK_TRUE(m.first_alert(0, 6));
  CHECK_TRUE(m.first_alert(1, 5));  // another transaction
  CHECK_FALSE(m.first_alert(1, 5));
}

TEST(TxAlertMemory, FourTransactionsThenTheOldestIsForgotten) {
  TxAlertMemory m;
  for (std::uint64_t tx = 0; tx < 4; ++tx) CHECK_TRUE(m.first_alert(tx, 1));
  for (std::uint64_t tx = 0; tx < 4; ++tx) CHECK_FALSE(m.first_alert(tx, 1));
  CHECK_TRUE(m.first_alert(4, 1));  // takes transaction 0's entry
  CHECK_TRUE(m.first_alert(0, 1));  // forgotten: may alert again (it takes 1's entry)
  CHECK_FALSE(m.first_alert(2, 1));
}

TEST(TxAlertMemory, EntriesKeepUndecidedRulesApart) {
  TxAlertMemory m;
  TxAlertMemory::Entry& a = m.entry(10);
  a.pending[0] = 99;
  a.pending_count = 1;
  a.inspected = true;
  TxAlertMemory::Entry& b = m.entry(11);
  CHECK_EQUAL(0u, b.pending_count);
  CHECK_FALSE(b.inspected);
  CHECK_EQUAL(1u, m.entry(10).pending_count);
  CHECK_EQUAL(99u, m.entry(10).pending[0]);
}

TEST(TxAlertMemory, AFullEntryStillAnswers) {
  TxAlertMemory m;
  for (std::uint32_t s = 0; s < TxAlertMemory::kSigs; ++s) CHECK_TRUE(m.first_alert(3, s));
  CHECK_TRUE(m.first_alert(3, 1000));   // past the entry's room: alerts, not remembered
  CHECK_TRUE(m.first_alert(3, 1000));
  CHECK_FALSE(m.first_alert(3, 0));     // the remembered ones still hold
}
