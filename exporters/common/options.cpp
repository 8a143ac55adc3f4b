#include "options.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace ioam_tools {

namespace {

constexpr int go_on = -1, status_ok = 0, status_usage = 2;

enum : int { o_tcp = 256, o_tls, o_tls_ca, o_tls_cert, o_tls_key, o_tls_name, o_tcp_backlog, o_drain, o_file, o_mtu,
             o_refresh, o_odid, o_stats, o_user, o_keep };

constexpr option shared[] = {
    {"collector", required_argument, nullptr, 'c'},
    {"tcp", required_argument, nullptr, o_tcp},
    {"tls", required_argument, nullptr, o_tls},
    {"tls-ca", required_argument, nullptr, o_tls_ca},
    {"tls-cert", required_argument, nullptr, o_tls_cert},
    {"tls-key", required_argument, nullptr, o_tls_key},
    {"tls-server-name", required_argument, nullptr, o_tls_name},
    {"tcp-backlog", required_argument, nullptr, o_tcp_backlog},
    {"drain-timeout", required_argument, nullptr, o_drain},
    {"file", required_argument, nullptr, o_file},
    {"console", optional_argument, nullptr, 'o'},
    {"mtu", required_argument, nullptr, o_mtu},
    {"template-refresh", required_argument, nullptr, o_refresh},
    {"observation-domain", required_argument, nullptr, o_odid},
    {"stats-interval", required_argument, nullptr, o_stats},
    {"user", required_argument, nullptr, o_user},
    {"keep-privileges", no_argument, nullptr, o_keep},
    // (last: the rows a program without outputs shares, parse_program_options)
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
};

collector_spec collector_of(const char* arg) {
    for (const auto& [scheme, kind] : {std::pair{"tcp://", transport::tcp}, std::pair{"tls://", transport::tls},
                                       std::pair{"udp://", transport::udp}})
        if (std::strncmp(arg, scheme, 6) == 0) return {kind, arg + 6};
    return {transport::udp, arg};
}

// One shared option: nullptr when good, else the option as the message names it.
const char* take_shared(int ch, const char* arg, output_settings& s) {
    switch (ch) {
    case 'c': s.collectors.push_back(collector_of(arg)); return nullptr;
    case o_tcp: s.collectors.push_back({transport::tcp, arg}); return nullptr;
    case o_tls: s.collectors.push_back({transport::tls, arg}); return nullptr;
    case o_tls_ca: s.tls.ca = arg; return nullptr;
    case o_tls_cert: s.tls.cert = arg; return nullptr;
    case o_tls_key: s.tls.key = arg; return nullptr;
    case o_tls_name: s.tls.server_name = arg; return nullptr;
    case o_tcp_backlog: return parse_number(arg, 65536, 1ULL << 34, s.tcp_backlog) ? nullptr : "--tcp-backlog (at least 65536)";
    case o_drain: return parse_number(arg, 0, 3600000, s.drain_ms) ? nullptr : "--drain-timeout";
    case o_file: s.file = arg; return nullptr;
    case 'o':
        if (!arg || std::strcmp(arg, "text") == 0) s.console = console_mode::text;
        else if (std::strcmp(arg, "json") == 0) s.console = console_mode::json;
        else return "--console";
        return nullptr;
    case o_mtu: return parse_number(arg, 0, 65535 + 48, s.mtu) ? nullptr : "--mtu";
    case o_refresh: return parse_number(arg, 0, 86400, s.refresh) ? nullptr : "--template-refresh";
    case o_odid: return parse_number(arg, 0, 0xffffffffULL, s.odid) ? nullptr : "--observation-domain";
    case o_stats: return parse_number(arg, 0, 86400, s.stats_interval) ? nullptr : "--stats-interval";
    case o_user: s.user = arg; return nullptr;
    case o_keep: s.drop_privileges = false; return nullptr;
    }
    return "";
}

}  // namespace

std::size_t output_settings::count(transport t) const {
    return static_cast<std::size_t>(
        std::count_if(collectors.begin(), collectors.end(), [t](const collector_spec& c) { return c.kind == t; }));
}

namespace {

// The loop both parses share: `shared` (the part of the table the parse
// owns) taken by take_shared, the program's own by p.take, --help and
// --version; operands to `operands` (nullptr: refused). -1 to go on, else
// the exit status.
using take_fn = const char* (*)(void* ctx, int opt, const char* arg);
int parse_table(int argc, char** argv, std::span<const option> shared_part, const char* shared_short,
                take_fn take_shared, void* shared_ctx, const program_options& p, std::vector<std::string>* operands) {
    // Fixed arrays, not containers: the parse costs the exporter little size.
    option longopts[64] = {};
    char shortopts[40] = "";
    const std::size_t n = shared_part.size();
    if (n + p.own.size() >= std::size(longopts) ||
        std::strlen(shared_short) + std::strlen(p.own_short) + 2 > sizeof shortopts) {
        std::fprintf(stderr, "%s: too many options for the parser's table\n", p.name);
        return status_usage;
    }
    std::copy(shared_part.begin(), shared_part.end(), longopts);
    std::copy(p.own.begin(), p.own.end(), longopts + n);
    std::strcat(shortopts, shared_short);
    std::strcat(shortopts, p.own_short);
    for (int ch; (ch = getopt_long(argc, argv, shortopts, longopts, nullptr)) != -1;) {
        if (ch == 'h') {
            p.usage(stdout);
            return status_ok;
        }
        if (ch == 'V') {
            std::printf("%s %s\n", p.name, p.version);
            return status_ok;
        }
        if (ch == '?' || ch == ':') {
            p.usage(stderr);
            return status_usage;
        }
        const bool own = std::any_of(p.own.begin(), p.own.end(), [ch](const option& o) { return o.val == ch; }) ||
                         (ch < 256 && std::strchr(p.own_short, ch));
        if (const char* bad = own ? p.take(p.ctx, ch, optarg) : take_shared(shared_ctx, ch, optarg)) {
            const char* dashes = "";
            if (!*bad)  // the option as the table names it
                for (const option* o = longopts; o->name; ++o)
                    if (o->val == ch) {
                        bad = o->name;
                        dashes = "--";
                    }
            std::fprintf(stderr, "%s: invalid value for %s%s: '%s' (see --help)\n", p.name, dashes, bad,
                         optarg ? optarg : "");
            return status_usage;
        }
    }
    for (; optind < argc; ++optind) {
        if (!operands) {
            std::fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", p.name, argv[optind]);
            return status_usage;
        }
        operands->emplace_back(argv[optind]);
    }
    return go_on;
}

constexpr std::size_t help_version = std::size(shared) - 2;  // the last two rows of `shared`

}  // namespace

int parse_program_options(int argc, char** argv, const program_options& p, std::vector<std::string>& operands) {
    return parse_table(argc, argv, std::span<const option>(shared).subspan(help_version), "hV",
                       [](void*, int, const char*) -> const char* { return ""; }, nullptr, p, &operands);
}

int parse_options(int argc, char** argv, output_settings& s, const program_options& p) {
    const take_fn take = [](void* ctx, int ch, const char* arg) {
        return take_shared(ch, arg, *static_cast<output_settings*>(ctx));
    };
    if (const int rc = parse_table(argc, argv, shared, "c:ohV", take, &s, p, nullptr); rc != go_on)
        return rc;
    if (s.count(transport::tls) > 0 && (s.tls.ca.empty() || s.tls.cert.empty() || s.tls.key.empty())) {
        std::fprintf(stderr, "%s: TLS needs --tls-ca, --tls-cert and --tls-key (mutual authentication)\n", p.name);
        return status_usage;
    }
    if (s.collectors.empty() && s.file.empty() && s.console == console_mode::none && !(p.other_output && !p.other_output->empty()))
        s.console = console_mode::text;
    if (s.file == "-" && s.console != console_mode::none) {
        std::fprintf(stderr, "%s: --file - and --console both write to stdout\n", p.name);
        return status_usage;
    }
    return go_on;
}

void help_outputs(std::FILE* f) {
    std::fputs(
        "Outputs (any number at once; without one, -o is implied):\n"
        "  -c, --collector [udp://|tcp://|tls://]ADDR:PORT\n"
        "                               IPFIX to a collector (UDP unless tcp:// or tls://; ADDR:\n"
        "                               IPv4, [IPv6] or a name); repeatable\n"
        "      --tcp ADDR:PORT          the same as -c tcp://ADDR:PORT: reconnects with backoff\n"
        "                               (0.25 s doubling to 30 s), templates re-sent on every\n"
        "                               connection, records kept in a bounded backlog meanwhile\n"
        "      --tls ADDR:PORT          the same as -c tls://ADDR:PORT: TCP with TLS (RFC 7011 11),\n"
        "                               mutual authentication: needs the three options below\n"
        "      --tls-ca FILE --tls-cert FILE --tls-key FILE\n"
        "                               PEM: the CA of the collector's certificate, ours, its key\n"
        "      --tls-server-name NAME   the name the collector's certificate must carry (ADDR)\n"
        "      --tcp-backlog BYTES      backlog per TCP collector (8388608); what finds it full\n"
        "                               is dropped and counted\n"
        "      --drain-timeout MS       at exit, wait up to MS for TCP collectors to take the\n"
        "                               backlog (5000)\n"
        "      --file PATH              IPFIX file (RFC 5655); '-' for stdout\n"
        "  -o, --console[=text|json]    print every record (text by default; json: one object a line)\n",
        f);
}

void help_ipfix(std::FILE* f) {
    std::fputs(
        "      --mtu BYTES              path MTU; messages fill up to it less the IP/UDP headers (1500)\n"
        "      --template-refresh SEC   re-send templates every SEC seconds (RFC 6728 default 600)\n"
        "      --observation-domain N   observation domain id (1)\n",
        f);
}

void help_process(std::FILE* f) {
    std::fputs(
        "      --stats-interval SEC     statistics every SEC seconds (0: off), also on SIGUSR1\n"
        "                               and at exit: a line on stderr, and an IPFIX options\n"
        "                               record (template 4000) to every IPFIX output\n",
        f);
}

void help_end(std::FILE* f) {
    std::fputs(
        "      --keep-privileges        do not drop privileges\n"
        "  -h, --help                   this text\n"
        "  -V, --version                the version\n\n",
        f);
}

}  // namespace ioam_tools
