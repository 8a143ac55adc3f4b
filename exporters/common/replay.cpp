#include "replay.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

namespace ioam_tools {

replay_input::~replay_input() {
    if (map_) munmap(map_, size_);
}

bool replay_input::open(const std::string& path, const char* program) {
    const auto fail = [&](const char* why) {
        std::fprintf(stderr, "%s: --replay %s: %s\n", program, path.c_str(), why);
        return false;
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        return fail(std::strerror(e));
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
        map_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map_ == MAP_FAILED) {
            map_ = nullptr;
            const int e = errno;
            ::close(fd);
            return fail(std::strerror(e));
        }
        (void)madvise(map_, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
    if (!reader_.open(std::span<const std::byte>(static_cast<const std::byte*>(map_), size_))) return fail(reader_.error());
    return true;
}

}  // namespace ioam_tools
