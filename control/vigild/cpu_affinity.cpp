#include "control/vigild/cpu_affinity.h"

#include <pthread.h>
#include <sched.h>

#include <cstring>

namespace vigil {

bool pin_current_thread(int cpu, std::string& err) {
  if (cpu < 0 || cpu >= CPU_SETSIZE) {
    err = "CPU " + std::to_string(cpu) + " is out of range";
    return false;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  if (rc != 0) {
    err = "cannot run on CPU " + std::to_string(cpu) + ": " + std::strerror(rc);
    return false;
  }
  return true;
}

}  // namespace vigil
