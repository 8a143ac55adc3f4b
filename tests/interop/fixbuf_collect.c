/* A small IPFIX collector written against libfixbuf 2.4, as an independent
 * decoder: reads an IPFIX file and prints one JSON line per message header
 * and per record, with every field's value. Each external template is read
 * through an internal template with the same elements at full size, so
 * libfixbuf itself expands reduced-size fields (RFC 7011 6.2) and splits
 * variable-length ones (RFC 7011 7).
 *
 * Usage: interop_fixbuf_collect FILE.ipfix ELEMENTS.xml
 */
#include <fixbuf/public.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MAX_RECORD 65536

static void print_json_string(const uint8_t *p, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; ++i) {
        if (p[i] == '"' || p[i] == '\\') printf("\\%c", p[i]);
        else if (p[i] < 0x20) printf("\\u%04x", p[i]);
        else putchar(p[i]);
    }
    putchar('"');
}

static void print_hex(const uint8_t *p, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; ++i) printf("%02x", p[i]);
    putchar('"');
}

/* Length of an element in the internal record: full size for integers and
 * float64, fbVarfield_t for variable-length fields, the wire length else. */
static uint16_t internal_length(const fbInfoElement_t *ie) {
    if (ie->len == FB_IE_VARLEN) return FB_IE_VARLEN;
    switch (ie->type) {
    case FB_UINT_8: case FB_INT_8: return 1;
    case FB_UINT_16: case FB_INT_16: return 2;
    case FB_UINT_32: case FB_INT_32: return 4;
    case FB_UINT_64: case FB_INT_64: case FB_FLOAT_64: return 8;
    default: return ie->len;
    }
}

/* Adds, once per template id, an internal template mirroring the external one. */
static gboolean ensure_internal(fbSession_t *session, fbInfoModel_t *model, uint16_t tid, fbTemplate_t *ext,
                                GError **err) {
    if (fbSessionGetTemplate(session, TRUE, tid, NULL)) return TRUE;
    fbTemplate_t *in = fbTemplateAlloc(model);
    uint32_t n = fbTemplateCountElements(ext);
    for (uint32_t i = 0; i < n; ++i) {
        const fbInfoElement_t *ie = fbTemplateGetIndexedIE(ext, i);
        fbInfoElement_t ex;
        memset(&ex, 0, sizeof ex);
        ex.ent = ie->ent;
        ex.num = ie->num;
        ex.len = internal_length(ie);
        if (!fbTemplateAppend(in, &ex, err)) return FALSE;
    }
    return fbSessionAddTemplate(session, TRUE, tid, in, err) != 0;
}

static void print_record(uint16_t tid, fbTemplate_t *in, const uint8_t *rec) {
    printf("{\"template\": %u, \"fields\": [", tid);
    uint32_t n = fbTemplateCountElements(in);
    size_t off = 0;
    for (uint32_t i = 0; i < n; ++i) {
        const fbInfoElement_t *ie = fbTemplateGetIndexedIE(in, i);
        const char *name = ie->ref.canon ? ie->ref.canon->ref.name : "";
        printf("%s{\"pen\": %" PRIu32 ", \"id\": %u, \"name\": ", i ? ", " : "", ie->ent, ie->num);
        print_json_string((const uint8_t *)name, strlen(name));
        printf(", \"value\": ");
        if (ie->len == FB_IE_VARLEN) {
            fbVarfield_t v;
            memcpy(&v, rec + off, sizeof v);
            if (ie->type == FB_STRING) print_json_string(v.buf, v.len);
            else print_hex(v.buf, v.len);
            off += sizeof v;
        } else {
            const uint8_t *p = rec + off;
            switch (ie->type) {
            case FB_UINT_8: case FB_UINT_16: case FB_UINT_32: case FB_UINT_64: case FB_DT_MILSEC: {
                uint64_t v = 0; /* host order, at the internal (full) size */
                if (ie->len == 1) { uint8_t x; memcpy(&x, p, 1); v = x; }
                else if (ie->len == 2) { uint16_t x; memcpy(&x, p, 2); v = x; }
                else if (ie->len == 4) { uint32_t x; memcpy(&x, p, 4); v = x; }
                else { memcpy(&v, p, 8); }
                printf("\"%" PRIu64 "\"", v);
                break;
            }
            case FB_IP4_ADDR: {
                uint32_t a;
                memcpy(&a, p, 4);
                printf("\"%u.%u.%u.%u\"", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
                break;
            }
            case FB_STRING: print_json_string(p, ie->len); break;
            default: print_hex(p, ie->len); break;
            }
            off += ie->len;
        }
        putchar('}');
    }
    printf("]}\n");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE.ipfix ELEMENTS.xml\n", argv[0]);
        return 2;
    }
    GError *err = NULL;
    fbInfoModel_t *model = fbInfoModelAlloc();
    if (!fbInfoModelReadXMLFile(model, argv[2], &err)) {
        fprintf(stderr, "fixbuf_collect: %s: %s\n", argv[2], err->message);
        return 1;
    }
    fbSession_t *session = fbSessionAlloc(model);
    fbCollector_t *collector = fbCollectorAllocFile(NULL, argv[1], &err);
    if (!collector) {
        fprintf(stderr, "fixbuf_collect: %s: %s\n", argv[1], err->message);
        return 1;
    }
    fBuf_t *fbuf = fBufAllocForCollection(session, collector);
    fBufSetAutomaticMode(fbuf, FALSE);
    static uint8_t rec[MAX_RECORD];
    int status = 0;
    for (;;) {
        if (!fBufNextMessage(fbuf, &err)) {
            if (!g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOF)) {
                fprintf(stderr, "fixbuf_collect: %s\n", err->message);
                status = 1;
            }
            break;
        }
        printf("{\"message\": {\"odid\": %" PRIu32 ", \"export_time\": %" PRIu32 "}}\n",
               fbSessionGetDomain(fBufGetSession(fbuf)), fBufGetExportTime(fbuf));
        for (;;) {
            uint16_t tid = 0;
            fbTemplate_t *ext = fBufNextCollectionTemplate(fbuf, &tid, &err);
            if (!ext) {
                if (!g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOM)) {
                    fprintf(stderr, "fixbuf_collect: %s\n", err->message);
                    status = 1;
                }
                g_clear_error(&err);
                break;
            }
            fbSession_t *s = fBufGetSession(fbuf);
            if (!ensure_internal(s, model, tid, ext, &err) || !fBufSetInternalTemplate(fbuf, tid, &err)) {
                fprintf(stderr, "fixbuf_collect: template %u: %s\n", tid, err->message);
                return 1;
            }
            size_t len = sizeof rec;
            if (!fBufNext(fbuf, rec, &len, &err)) {
                fprintf(stderr, "fixbuf_collect: record of template %u: %s\n", tid, err->message);
                return 1;
            }
            print_record(tid, fbSessionGetTemplate(s, TRUE, tid, NULL), rec);
        }
        if (status) break;
    }
    fflush(stdout);
    return status;
}
