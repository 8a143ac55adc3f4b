/* A small IPFIX exporter written against libfixbuf 2.4, for the reverse
 * direction: libfixbuf encodes, our decoder reads (read_fixbuf.cpp). It
 * writes an IPFIX file with a data template (reduced-size integers, 24- and
 * 56-bit enterprise fields, variable-length strings and octets in both
 * length forms) and an options template, in several messages, and a text
 * file of the values it appended:
 *     R <template id>
 *     F <pen> <id> <value>      (one per field, in template order)
 * Values: decimal integers, dotted IPv4, strings as they are, octets in hex.
 *
 * Usage: interop_fixbuf_export OUT.ipfix OUT.expected ELEMENTS.xml
 */
#include <fixbuf/public.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DATA_TID 500
#define OPTIONS_TID 510
#define DOMAIN 9

/* External (wire) template: reduced sizes where RFC 7011 6.2 allows them. */
static fbInfoElementSpec_t data_wire[] = {
    {"flowId", 8, 0},
    {"octetDeltaCount", 4, 0},
    {"packetDeltaCount", 2, 0},
    {"sourceIPv4Address", 4, 0},
    {"ingressInterface", 2, 0},
    {"interfaceName", FB_IE_VARLEN, 0},
    {"ioamNodeId", 3, 0},
    {"ioamNodeIdWide", 7, 0},
    {"ioamOpaqueStateSnapshot", FB_IE_VARLEN, 0},
    {"protocolIdentifier", 1, 0},
    {"systemInitTimeMilliseconds", 8, 0},
    FB_IESPEC_NULL};
/* Internal template: the same elements at full size (what the C side holds). */
static fbInfoElementSpec_t data_mem[] = {
    {"flowId", 8, 0},
    {"octetDeltaCount", 8, 0},
    {"packetDeltaCount", 8, 0},
    {"sourceIPv4Address", 4, 0},
    {"ingressInterface", 4, 0},
    {"interfaceName", FB_IE_VARLEN, 0},
    {"ioamNodeId", 4, 0},
    {"ioamNodeIdWide", 8, 0},
    {"ioamOpaqueStateSnapshot", FB_IE_VARLEN, 0},
    {"protocolIdentifier", 1, 0},
    {"systemInitTimeMilliseconds", 8, 0},
    FB_IESPEC_NULL};
static fbInfoElementSpec_t options_wire[] = {
    {"exportingProcessId", 4, 0},
    {"exportedFlowRecordTotalCount", 4, 0},
    FB_IESPEC_NULL};
static fbInfoElementSpec_t options_mem[] = {
    {"exportingProcessId", 4, 0},
    {"exportedFlowRecordTotalCount", 8, 0},
    FB_IESPEC_NULL};

static uint64_t state = 0x5eed;
static uint64_t next_rand(void) { /* xorshift64* */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
}

static void die(const char *what, GError *err) {
    fprintf(stderr, "fixbuf_export: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static fbTemplate_t *make_template(fbInfoModel_t *model, fbInfoElementSpec_t *spec, uint16_t scope) {
    GError *err = NULL;
    fbTemplate_t *t = fbTemplateAlloc(model);
    if (!fbTemplateAppendSpecArray(t, spec, 0, &err)) die("template", err);
    if (scope) fbTemplateSetOptionsScope(t, scope);
    return t;
}

/* Appends a field to the internal record buffer (host order, no padding). */
static size_t put(uint8_t *rec, size_t off, const void *v, size_t n) {
    memcpy(rec + off, v, n);
    return off + n;
}

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s OUT.ipfix OUT.expected ELEMENTS.xml\n", argv[0]);
        return 2;
    }
    GError *err = NULL;
    fbInfoModel_t *model = fbInfoModelAlloc();
    if (!fbInfoModelReadXMLFile(model, argv[3], &err)) die(argv[3], err);
    FILE *exp = fopen(argv[2], "w");
    if (!exp) {
        perror(argv[2]);
        return 1;
    }
    fbSession_t *session = fbSessionAlloc(model);
    fbSessionSetDomain(session, DOMAIN);
    if (!fbSessionAddTemplate(session, FALSE, DATA_TID, make_template(model, data_wire, 0), &err) ||
        !fbSessionAddTemplate(session, TRUE, DATA_TID, make_template(model, data_mem, 0), &err) ||
        !fbSessionAddTemplate(session, FALSE, OPTIONS_TID, make_template(model, options_wire, 1), &err) ||
        !fbSessionAddTemplate(session, TRUE, OPTIONS_TID, make_template(model, options_mem, 1), &err))
        die("session templates", err);
    fbExporter_t *exporter = fbExporterAllocFile(argv[1]);
    fBuf_t *fbuf = fBufAllocForExport(session, exporter);
    fBufSetExportTime(fbuf, 1700000000);
    if (!fbSessionExportTemplates(session, &err)) die("export templates", err);

    static const size_t string_lengths[] = {0, 1, 7, 254, 255, 300};
    static uint8_t name[400], snapshot[400], rec[1024];
    for (int i = 0; i < 36; ++i) {
        if (i % 9 == 0 && i) {
            if (!fBufEmit(fbuf, &err)) die("emit", err);
            fBufSetExportTime(fbuf, 1700000000 + (uint32_t)i);
        }
        const uint64_t flow_id = next_rand();
        const uint64_t octets = next_rand() >> 32;  /* fits the 4-octet wire field */
        const uint64_t packets = next_rand() >> 48; /* 2 octets */
        const uint32_t src = 0x0a000000u | (uint32_t)(next_rand() >> 40);
        const uint32_t ingress = (uint32_t)(next_rand() >> 48);
        const size_t name_len = string_lengths[i % 6];
        const size_t snap_len = string_lengths[(i / 6) % 6];
        const uint32_t node = (i % 5 == 0) ? 0xffffffu : (uint32_t)(next_rand() >> 40);
        const uint64_t node_wide = (i % 5 == 0) ? 0xffffffffffffffULL : next_rand() >> 8;
        const uint8_t proto = (uint8_t)(next_rand() >> 56);
        const uint64_t init_ms = 1699999000000ULL + (next_rand() >> 44);
        for (size_t k = 0; k < name_len; ++k) name[k] = (uint8_t)alphabet[next_rand() % (sizeof alphabet - 1)];
        for (size_t k = 0; k < snap_len; ++k) snapshot[k] = (uint8_t)(next_rand() >> 56);
        fbVarfield_t vname = {name_len, name}, vsnap = {snap_len, snapshot};

        size_t off = 0;
        off = put(rec, off, &flow_id, 8);
        off = put(rec, off, &octets, 8);
        off = put(rec, off, &packets, 8);
        off = put(rec, off, &src, 4);
        off = put(rec, off, &ingress, 4);
        off = put(rec, off, &vname, sizeof vname);
        off = put(rec, off, &node, 4);
        off = put(rec, off, &node_wide, 8);
        off = put(rec, off, &vsnap, sizeof vsnap);
        off = put(rec, off, &proto, 1);
        off = put(rec, off, &init_ms, 8);
        if (!fBufSetInternalTemplate(fbuf, DATA_TID, &err) || !fBufSetExportTemplate(fbuf, DATA_TID, &err) ||
            !fBufAppend(fbuf, rec, off, &err))
            die("append data record", err);

        fprintf(exp, "R %u\n", DATA_TID);
        fprintf(exp, "F 0 148 %" PRIu64 "\n", flow_id);
        fprintf(exp, "F 0 1 %" PRIu64 "\n", octets);
        fprintf(exp, "F 0 2 %" PRIu64 "\n", packets);
        fprintf(exp, "F 0 8 %u.%u.%u.%u\n", src >> 24, (src >> 16) & 255, (src >> 8) & 255, src & 255);
        fprintf(exp, "F 0 10 %" PRIu32 "\n", ingress);
        fprintf(exp, "F 0 82 %.*s\n", (int)name_len, (const char *)name);
        fprintf(exp, "F 10383 2 %" PRIu32 "\n", node);
        fprintf(exp, "F 10383 9 %" PRIu64 "\n", node_wide);
        fprintf(exp, "F 10383 14 ");
        for (size_t k = 0; k < snap_len; ++k) fprintf(exp, "%02x", snapshot[k]);
        fprintf(exp, "\nF 0 4 %u\n", proto);
        fprintf(exp, "F 0 160 %" PRIu64 "\n", init_ms);

        if (i % 12 == 11) { /* an options record now and then */
            const uint32_t pid = 4242;
            const uint64_t total = (uint64_t)i + 1;
            off = put(rec, 0, &pid, 4);
            off = put(rec, off, &total, 8);
            if (!fBufSetInternalTemplate(fbuf, OPTIONS_TID, &err) ||
                !fBufSetExportTemplate(fbuf, OPTIONS_TID, &err) || !fBufAppend(fbuf, rec, off, &err))
                die("append options record", err);
            fprintf(exp, "R %u\nF 0 144 %" PRIu32 "\nF 0 42 %" PRIu64 "\n", OPTIONS_TID, pid, total);
        }
    }
    if (!fBufEmit(fbuf, &err)) die("emit", err);
    fbExporterClose(exporter);
    fclose(exp);
    return 0;
}
