// Crash-consistent file operations for the provider's store (POSIX): a file is written to a
// temporary name in its final folder, fsync'd, renamed into place and the folder fsync'd, so
// after a crash at any instant the name holds either nothing or the complete content.
// Temporary files are called ".tmp.<final name>"; remove_temp_files() clears leftovers.
// Every function reports failures as false plus a message naming the path and errno text.
// Thread-safety: none of its own; callers serialize writers of the same folder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace vigil::provider {

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

inline constexpr std::string_view kTempPrefix = ".tmp.";

bool fsync_dir(const std::filesystem::path& dir, std::string& error);
// mkdir -p, fsyncing the parent of every folder it creates.
bool make_dirs_durable(const std::filesystem::path& dir, std::string& error);
// dir/<name> := data, atomically and durably (temp + fsync + rename + fsync of dir).
bool write_file_atomic(const std::filesystem::path& dir, std::string_view name,
                       std::string_view data, std::string& error);
// Appends `line` with one write and fsyncs. If the file's last byte is not '\n' (a torn
// append from a crash), a '\n' goes first so the torn line stays apart from the new one.
bool append_line_durable(const std::filesystem::path& file, std::string_view line,
                         std::string& error);
// Whole file into `out`. `missing` is set (and false returned) when it does not exist.
bool read_file(const std::filesystem::path& file, std::string& out, bool& missing,
               std::string& error);
// Bytes [offset, offset + length) of a file into `out`.
bool read_file_range(const std::filesystem::path& file, std::uint64_t offset, std::size_t length,
                     std::string& out, std::string& error);
// Deletes dir/.tmp.* (leftovers of a crash); returns how many.
std::size_t remove_temp_files(const std::filesystem::path& dir);

}  // namespace vigil::provider
