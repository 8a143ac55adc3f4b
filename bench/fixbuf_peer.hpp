// libfixbuf 2.4 as the peer: the same templates through fBufAppend (export
// into an in-memory buffer, fbExporterAllocBuffer) and fBufNext (collection
// from memory, fBufSetBuffer). libfixbuf transcodes between an internal
// record (host order, full-size integers, fields packed in template order)
// and the external template, so each record is first laid out that way,
// as an application using libfixbuf would keep it.
#pragma once

#include <fixbuf/public.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_data.hpp"

namespace bench::fixbuf {

[[noreturn]] inline void die(const char* what, GError* err) {
    throw std::runtime_error(std::string("libfixbuf: ") + what + ": " + (err ? err->message : "failed"));
}

/// Internal (host) and external (wire) element lists of one template.
struct spec {
    std::uint16_t tid;
    std::vector<fbInfoElementSpec_t> internal;
    std::vector<fbInfoElementSpec_t> external;
    std::size_t internal_size;
};

inline fbInfoElementSpec_t e(const char* name, std::uint16_t len) {
    return fbInfoElementSpec_t{const_cast<char*>(name), len, 0};
}

inline spec flow_spec() {
    spec s{256, {}, {}, 60};
    const char* names[] = {"octetDeltaCount", "packetDeltaCount", "protocolIdentifier", "sourceIPv4Address",
                           "destinationIPv4Address", "sourceTransportPort", "destinationTransportPort",
                           "flowDirection", "tcpControlBits", "ipClassOfService", "ingressInterface",
                           "egressInterface", "minimumTTL", "maximumTTL", "flowStartSysUpTime",
                           "flowEndSysUpTime", "flowId", "ipDiffServCodePoint"};
    const std::uint16_t len[] = {8, 8, 1, 4, 4, 2, 2, 1, 2, 1, 4, 4, 1, 1, 4, 4, 8, 1};
    for (std::size_t i = 0; i < 18; ++i) {
        s.internal.push_back(e(names[i], len[i]));
        s.external.push_back(e(names[i], i == 16 ? 4 : len[i]));  // flowId reduced to 4
    }
    s.internal.push_back(FB_IESPEC_NULL);
    s.external.push_back(FB_IESPEC_NULL);
    return s;
}

inline spec ioam_spec() {
    spec s{300, {}, {}, 35};
    const char* names[] = {"ioamNamespaceId", "ioamHopLimit", "ioamNodeId", "ioamIngressIfId", "ioamEgressIfId",
                           "ioamTimestampSeconds", "ioamTimestampFraction", "ioamNamespaceData",
                           "ioamQueueDepth", "ioamNodeIdWide"};
    const std::uint16_t len[] = {2, 1, 4, 2, 2, 4, 4, 4, 4, 8};
    for (std::size_t i = 0; i < 10; ++i) {
        s.internal.push_back(e(names[i], len[i]));
        s.external.push_back(e(names[i], i == 2 ? 3 : i == 9 ? 7 : len[i]));  // 24- and 56-bit node ids
    }
    s.internal.push_back(FB_IESPEC_NULL);
    s.external.push_back(FB_IESPEC_NULL);
    return s;
}

/// IANA's model plus the IOAM enterprise IEs (as tests/data/ipfix/ioam-ies.xml).
inline fbInfoModel_t* make_model() {
    fbInfoModel_t* m = fbInfoModelAlloc();
    for (const ipfix::ie_info& i : ioam_registry) {
        fbInfoElement_t ie;
        std::memset(&ie, 0, sizeof ie);
        const std::string name(i.name);
        ie.ref.name = name.c_str();
        ie.ent = i.enterprise;
        ie.num = i.id;
        ie.len = i.length;
        ie.flags = FB_IE_F_ENDIAN;
        ie.type = i.length == 1 ? FB_UINT_8 : i.length == 2 ? FB_UINT_16 : i.length == 4 ? FB_UINT_32 : FB_UINT_64;
        fbInfoModelAddElement(m, &ie);  // copies the element and its name
    }
    return m;
}

inline fbTemplate_t* make_template(fbInfoModel_t* m, std::vector<fbInfoElementSpec_t>& s) {
    GError* err = nullptr;
    fbTemplate_t* t = fbTemplateAlloc(m);
    if (!fbTemplateAppendSpecArray(t, s.data(), 0, &err)) die("template", err);
    return t;
}

// Internal records: host order, packed in template order.
template <class V>
inline std::byte* put(std::byte* p, V v) {
    std::memcpy(p, &v, sizeof v);
    return p + sizeof v;
}
inline std::vector<std::byte> internal_record(const flow& f) {
    std::vector<std::byte> r(60);
    std::byte* p = r.data();
    p = put(p, f.octets);
    p = put(p, f.packets);
    p = put(p, f.protocol);
    p = put(p, ioam::load_be32(f.src.bytes.data()));
    p = put(p, ioam::load_be32(f.dst.bytes.data()));
    p = put(p, f.sport);
    p = put(p, f.dport);
    p = put(p, f.direction);
    p = put(p, f.tcp_flags);
    p = put(p, f.tos);
    p = put(p, f.ingress);
    p = put(p, f.egress);
    p = put(p, f.min_ttl);
    p = put(p, f.max_ttl);
    p = put(p, f.start);
    p = put(p, f.end);
    p = put(p, std::uint64_t{f.flow_id});
    p = put(p, f.dscp);
    return r;
}
inline std::vector<std::byte> internal_record(const ioam_node& n) {
    std::vector<std::byte> r(35);
    std::byte* p = r.data();
    p = put(p, n.ns);
    p = put(p, n.hop_limit);
    p = put(p, n.node_id);
    p = put(p, n.ingress);
    p = put(p, n.egress);
    p = put(p, n.ts_sec);
    p = put(p, n.ts_frac);
    p = put(p, n.ns_data);
    p = put(p, n.queue_depth);
    p = put(p, n.node_id_wide);
    return r;
}

template <class V>
inline std::uint64_t get(const std::uint8_t*& p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    return v;
}
/// The checksum of an internal record (every field, as the other decoders).
inline std::uint64_t sum_internal_flow(const std::uint8_t* p) {
    std::uint64_t s = get<std::uint64_t>(p);
    s += get<std::uint64_t>(p);
    s += get<std::uint8_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint16_t>(p);
    s += get<std::uint16_t>(p);
    s += get<std::uint8_t>(p);
    s += get<std::uint16_t>(p);
    s += get<std::uint8_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint8_t>(p);
    s += get<std::uint8_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint64_t>(p);
    s += get<std::uint8_t>(p);
    return s;
}
inline std::uint64_t sum_internal_ioam(const std::uint8_t* p) {
    std::uint64_t s = get<std::uint16_t>(p);
    s += get<std::uint8_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint16_t>(p);
    s += get<std::uint16_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint32_t>(p);
    s += get<std::uint64_t>(p);
    return s;
}

/// An exporting fBuf writing messages of at most message_capacity octets into
/// `out` (each fBufEmit, automatic when a message is full, copies the message there).
class exporter {
public:
    explicit exporter(spec s) : spec_(std::move(s)) {
        GError* err = nullptr;
        model_ = make_model();
        session_ = fbSessionAlloc(model_);
        fbSessionSetDomain(session_, 1);
        if (!fbSessionAddTemplate(session_, FALSE, spec_.tid, make_template(model_, spec_.external), &err) ||
            !fbSessionAddTemplate(session_, TRUE, spec_.tid, make_template(model_, spec_.internal), &err))
            die("session templates", err);
        exp_ = fbExporterAllocBuffer(reinterpret_cast<std::uint8_t*>(out_.data()),
                                     static_cast<std::uint16_t>(out_.size()));
        fbuf_ = fBufAllocForExport(session_, exp_);
        fBufSetExportTime(fbuf_, 1700000000);
        if (!fbSessionExportTemplates(session_, &err)) die("export templates", err);
        if (!fBufEmit(fbuf_, &err)) die("emit", err);
        if (!fBufSetInternalTemplate(fbuf_, spec_.tid, &err) || !fBufSetExportTemplate(fbuf_, spec_.tid, &err))
            die("set templates", err);
    }
    exporter(const exporter&) = delete;
    exporter& operator=(const exporter&) = delete;
    ~exporter() {
        fBufFree(fbuf_);  // frees the session and the exporter too
        fbInfoModelFree(model_);
    }
    void append(const std::byte* rec) {
        GError* err = nullptr;
        if (!fBufAppend(fbuf_, reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(rec)), spec_.internal_size,
                        &err))
            die("append", err);
    }
    void emit() {
        GError* err = nullptr;
        if (!fBufEmit(fbuf_, &err)) die("emit", err);
    }
    /// The last message emitted.
    [[nodiscard]] ioam::bytes_view last() const { return {out_.data(), fbExporterGetMsgLen(exp_)}; }

private:
    spec spec_;
    std::array<std::byte, message_capacity> out_{};
    fbInfoModel_t* model_ = nullptr;
    fbSession_t* session_ = nullptr;
    fbExporter_t* exp_ = nullptr;
    fBuf_t* fbuf_ = nullptr;
};

/// A collecting fBuf fed one message at a time from memory.
class collector {
public:
    explicit collector(spec s) : spec_(std::move(s)) {
        GError* err = nullptr;
        model_ = make_model();
        session_ = fbSessionAlloc(model_);
        if (!fbSessionAddTemplate(session_, TRUE, spec_.tid, make_template(model_, spec_.internal), &err))
            die("internal template", err);
        fbuf_ = fBufAllocForCollection(session_, nullptr);
        fBufSetAutomaticMode(fbuf_, FALSE);
        if (!fBufSetInternalTemplate(fbuf_, spec_.tid, &err)) die("set internal template", err);
    }
    collector(const collector&) = delete;
    collector& operator=(const collector&) = delete;
    ~collector() {
        fBufFree(fbuf_);
        fbInfoModelFree(model_);
    }
    /// Reads every record of one message, calling fn(internal record bytes).
    template <class Fn>
    std::size_t read(std::vector<std::byte>& msg, Fn&& fn) {
        fBufSetBuffer(fbuf_, reinterpret_cast<std::uint8_t*>(msg.data()), msg.size());
        std::size_t n = 0;
        for (;;) {
            std::size_t len = sizeof rec_;
            GError* err = nullptr;
            if (!fBufNext(fbuf_, rec_, &len, &err)) {
                const bool end = g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOM) ||
                                 g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_BUFSZ);
                if (!end) die("next", err);
                g_clear_error(&err);
                break;
            }
            fn(static_cast<const std::uint8_t*>(rec_));
            ++n;
        }
        return n;
    }

private:
    spec spec_;
    fbInfoModel_t* model_ = nullptr;
    fbSession_t* session_ = nullptr;
    fBuf_t* fbuf_ = nullptr;
    alignas(8) std::uint8_t rec_[256]{};
};

}  // namespace bench::fixbuf
