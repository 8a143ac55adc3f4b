#include "replay.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ioam_tools {

bool replay_input::open(const std::string& path, const char* program) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        std::fprintf(stderr, "%s: --replay %s: %s\n", program, path.c_str(), std::strerror(errno));
        return false;
    }
    std::array<std::byte, 65536> chunk{};
    file_.clear();
    for (std::size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), f)) > 0;)
        file_.insert(file_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    std::fclose(f);
    if (!reader_.open(file_)) {
        std::fprintf(stderr, "%s: --replay %s: %s\n", program, path.c_str(), reader_.error());
        return false;
    }
    return true;
}

}  // namespace ioam_tools
