// The RFC 5655 file reader: file_reader (which must always stop), parse_file
// (which must agree with it), every message through the template cache with
// every value read, and file_checker's templates-before-data check.
#include "ioam/ipfix/file.hpp"
#include "ipfix_common.hpp"

namespace {
using namespace ioam;
using namespace ioam::ipfix;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto buf = fuzz::copy_exact(data, size);
    template_cache cache(ie_registry{iana_registry});
    file_checker out;
    file_reader rd(buf);
    message_view m;
    std::size_t messages = 0;
    while (rd.next(m)) {
        FUZZ_CHECK(++messages <= size / message_header_size);
        auto find = [&](std::uint16_t id) -> const dynamic_template* {
            auto t = cache.find(0, m.observation_domain(), id);
            return t ? *t : nullptr;
        };
        const auto sum = cache.process(0, m, m.export_time(), [&](const dynamic_record& r) { fuzz::read_dynamic(r, find); });
        fuzz::use(sum.records);
        if (auto w = out.check(m.bytes()); !w) fuzz::use(static_cast<std::uint64_t>(w.code()));
    }
    FUZZ_CHECK(rd.done());
    FUZZ_CHECK(rd.messages() == messages);
    const auto st = rd.status();
    if (!st) fuzz::check_error(st.error(), size);
    auto f = parse_file(buf);
    FUZZ_CHECK(f.has_value() == st.has_value());
    if (f) {
        std::size_t n = 0;
        for (const message_view fm : *f) {
            fuzz::use(fm.sequence());
            ++n;
        }
        FUZZ_CHECK(n == messages && f->size() == messages);
    }
    return 0;
}
