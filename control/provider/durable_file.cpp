#include "control/provider/durable_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>

namespace vigil::provider {
namespace fs = std::filesystem;

namespace {

std::string sys_error(std::string_view what, const fs::path& p) {
  return std::string(what) + " " + p.string() + ": " + std::strerror(errno);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

bool fsync_dir(const fs::path& dir, std::string& error) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    error = sys_error("open folder", dir);
    return false;
  }
  if (::fsync(fd.get()) != 0) {
    error = sys_error("fsync folder", dir);
    return false;
  }
  return true;
}

bool make_dirs_durable(const fs::path& dir, std::string& error) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return true;
    error = dir.string() + " exists and is not a folder";
    return false;
  }
  fs::path parent = dir.parent_path();
  if (!parent.empty() && parent != dir && !make_dirs_durable(parent, error)) return false;
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    error = sys_error("mkdir", dir);
    return false;
  }
  return fsync_dir(parent.empty() ? fs::path(".") : parent, error);
}

bool write_file_atomic(const fs::path& dir, std::string_view name, std::string_view data,
                       std::string& error) {
  const fs::path tmp = dir / (std::string(kTempPrefix) + std::string(name));
  const fs::path dst = dir / std::string(name);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd) {
    error = sys_error("create", tmp);
    return false;
  }
  if (!write_all(fd.get(), data)) {
    error = sys_error("write", tmp);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::fsync(fd.get()) != 0) {
    error = sys_error("fsync", tmp);
    ::unlink(tmp.c_str());
    return false;
  }
  fd = UniqueFd();
  if (::rename(tmp.c_str(), dst.c_str()) != 0) {
    error = sys_error("rename into", dst);
    ::unlink(tmp.c_str());
    return false;
  }
  return fsync_dir(dir, error);
}

bool append_line_durable(const fs::path& file, std::string_view line, std::string& error) {
  UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) {
    error = sys_error("open", file);
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = sys_error("stat", file);
    return false;
  }
  std::string buf;
  if (st.st_size > 0) {
    char last = 0;
    if (::pread(fd.get(), &last, 1, st.st_size - 1) != 1) {
      error = sys_error("read", file);
      return false;
    }
    if (last != '\n') buf += '\n';
  }
  buf += line;
  if (!write_all(fd.get(), buf) || ::fsync(fd.get()) != 0) {
    error = sys_error("append to", file);
    return false;
  }
  // A new file's name must be durable as well.
  return st.st_size > 0 || fsync_dir(file.parent_path(), error);
}

bool read_file(const fs::path& file, std::string& out, bool& missing, std::string& error) {
  missing = false;
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    missing = errno == ENOENT || errno == ENOTDIR;
    error = sys_error("open", file);
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    missing = true;  // a folder or device under a served name is not a file to serve
    error = file.string() + " is not a regular file";
    return false;
  }
  out.clear();
  out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = sys_error("read", file);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

bool read_file_range(const fs::path& file, std::uint64_t offset, std::size_t length,
                     std::string& out, std::string& error) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    error = sys_error("open", file);
    return false;
  }
  out.assign(length, '\0');
  std::size_t got = 0;
  while (got < length) {
    ssize_t n = ::pread(fd.get(), out.data() + got, length - got,
                        static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      error = sys_error("read", file);
      return false;
    }
    if (n == 0) {
      error = file.string() + " shrank while being read";
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

std::size_t remove_temp_files(const fs::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kTempPrefix, 0) == 0 && ::unlink(it->path().c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace vigil::provider
