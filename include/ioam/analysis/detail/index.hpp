// A fixed-size open-addressing index from a 64-bit hash to a slot number,
// with linear probing and backward-shift deletion (no tombstones, so probe
// lengths stay short however long it runs). Allocates once, at construction.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ioam::analysis::detail {

/// splitmix64's finaliser: every input bit moves every output bit.
[[nodiscard]] constexpr std::uint64_t mix(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

class slot_index {
public:
    static constexpr std::uint32_t none = 0xffffffffu;

    /// Room for `capacity` entries at a load factor of at most one half.
    explicit slot_index(std::size_t capacity)
        : mask_(std::bit_ceil(capacity < 4 ? std::size_t{8} : capacity * 2) - 1), table_(mask_ + 1) {}

    /// Calls same(slot) for each entry of this hash until it returns true;
    /// returns that slot or none.
    template <class Same>
    [[nodiscard]] std::uint32_t find(std::uint64_t hash, Same&& same) const noexcept {
        for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
            const entry& e = table_[i];
            if (e.slot == none) return none;
            if (e.hash == hash && same(e.slot)) return e.slot;
        }
    }

    void insert(std::uint64_t hash, std::uint32_t slot) noexcept {
        std::size_t i = hash & mask_;
        while (table_[i].slot != none) i = (i + 1) & mask_;
        table_[i] = {hash, slot};
    }

    /// Removes the entry (hash, slot); it must be there.
    void erase(std::uint64_t hash, std::uint32_t slot) noexcept {
        std::size_t i = hash & mask_;
        while (!(table_[i].slot == slot && table_[i].hash == hash)) {
            if (table_[i].slot == none) return;
            i = (i + 1) & mask_;
        }
        // Backward shift: move later entries of the cluster into the hole
        // when their home position allows it.
        for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
            if (table_[j].slot == none) break;
            const std::size_t home = table_[j].hash & mask_;
            const bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (movable) {
                table_[i] = table_[j];
                i = j;
            }
        }
        table_[i] = entry{};
    }

    [[nodiscard]] std::size_t bytes() const noexcept { return table_.size() * sizeof(entry); }

private:
    struct entry {
        std::uint64_t hash = 0;
        std::uint32_t slot = none;
    };
    std::size_t mask_;
    std::vector<entry> table_;
};

}  // namespace ioam::analysis::detail
