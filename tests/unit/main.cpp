#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/TestRegistry.h>

int main(int argc, char** argv) {
  // The standard library allocates lazily (locale, iostream buffers), which CppUTest's per-test
  // leak detector reports as leaks; leaks are caught by the ASan/LSan build of the suite instead.
  MemoryLeakWarningPlugin::turnOffNewDeleteOverloads();
  return CommandLineTestRunner::RunAllTests(argc, argv);
}
