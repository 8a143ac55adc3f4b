-- ioam.lua: Wireshark/tshark dissector for what ioam-ipfix deals in and
-- Wireshark 4.0 (Debian 12) does not decode:
--
--  1. the IOAM Direct Exporting (DEX) option in IPv6 hop-by-hop and
--     destination options (RFC 9326, RFC 9486), which tshark 4.0 shows as
--     "Option-Type: Unknown (4)". Fields carry upstream Wireshark's names
--     (ipv6.opt.ioam.dex.ns, .flags, .extflags, .extflag.flag.flowid,
--     .extflag.flag.seqnum, .extflag.flowid, .extflag.seqnum, .rsv), so
--     display filters keep working after an upgrade. On a Wireshark that
--     decodes DEX itself this part stands down.
--  2. the kernel's IOAM6 generic netlink events (TRACE and DEX) in pcaps of
--     link type NETLINK (253), as `ioam-exporter --record` writes them.
--
-- Wireshark 4.0 has no dissector table for IPv6 options, so both parts are
-- postdissectors: the DEX part anchored on ipv6.opt.ioam.opt_type == 4, the
-- netlink part on the cooked netlink header. Malformed or truncated input
-- is reported as expert info, never as a Lua error.
--
-- Install: copy to the global Lua plugin folder (`tshark -G folders`, "Global
-- Lua Plugins"; `meson install` does this), or run
-- `tshark -X lua_script:ioam.lua ...`. See docs/wireshark.md.

local ioam_lua_version = "0.1.0"

-- Loaded twice (installed, and given again with -X lua_script): the second
-- copy steps aside instead of registering every field again.
if pcall(Field.new, "ioam6_genl.cmd") then return end

-------------------------------------------------------------------------------
-- RFC 9197 node data, shared by trace events and DEX events
-------------------------------------------------------------------------------

-- Trace-type bits (bit 0 = most significant of the 24-bit field): octets
-- each adds to a node and its name.
local bit_info = {
    [0] = { 4, "Hop_Lim and Node ID (short)" },
    [1] = { 4, "Ingress and Egress IDs (short)" },
    [2] = { 4, "Timestamp seconds" },
    [3] = { 4, "Timestamp fraction" },
    [4] = { 4, "Transit delay" },
    [5] = { 4, "Namespace-specific data (short)" },
    [6] = { 4, "Queue depth" },
    [7] = { 4, "Checksum complement" },
    [8] = { 8, "Hop_Lim and Node ID (wide)" },
    [9] = { 8, "Ingress and Egress IDs (wide)" },
    [10] = { 8, "Namespace-specific data (wide)" },
    [11] = { 4, "Buffer occupancy" },
    [22] = { 4, "Opaque State Snapshot" },
}
for b = 12, 21 do bit_info[b] = { 4, "Undefined (bit " .. b .. ")" } end

local function bit_mask(b) return bit32.rshift(0x800000, b) end

-- Octets of one node for a trace type as NodeLen counts them: without the
-- opaque-state snapshot (bit 22), undefined bits 12-21 as 4 octets each.
local function node_len_of(ttype)
    local n = 0
    for b = 0, 21 do
        if bit32.band(ttype, bit_mask(b)) ~= 0 then n = n + bit_info[b][1] end
    end
    return n
end

-- Names of the bits set, for the trace type's summary.
local function type_names(ttype)
    local t = {}
    for b = 0, 23 do
        if bit32.band(ttype, bit_mask(b)) ~= 0 then
            t[#t + 1] = b == 23 and "Reserved (bit 23)" or bit_info[b][2]
        end
    end
    return #t > 0 and table.concat(t, ", ") or "none"
end

-------------------------------------------------------------------------------
-- Part 1: the DEX option in IPv6 (RFC 9326 section 3.2)
--
--   0                   1                   2                   3
--   |        Namespace-ID           |     Flags     |Extension-Flags|
--   |               IOAM-Trace-Type                 |   Reserved    |
--   |                   Flow ID (Extension-Flags bit 0)             |
--   |               Sequence Number (Extension-Flags bit 1)         |
--   |  ... 4 octets for every further Extension-Flag set            |
-------------------------------------------------------------------------------

local function field_exists(name)
    return (pcall(Field.new, name))
end

-- Wireshark releases after 4.0 decode DEX under these names: then the
-- built-in dissector does the work and registering them again would abort.
local dex_builtin = field_exists("ipv6.opt.ioam.dex.ns")

local p_dex = Proto("ioam_dex", "IOAM Direct Exporting option (ioam.lua)")
local dexf = {}
local dex_ef = {}
if not dex_builtin then
    -- Upstream's names and types where 4.0 lets a script register them.
    -- Upstream puts the trace type under ipv6.opt.ioam.trace.type, the
    -- reserved octet under ipv6.opt.ioam.trace.rsv and the unassigned
    -- extension flags under ipv6.opt.ioam.trace.type.rsv: those names belong
    -- to 4.0's own IPv6 dissector, so ours are ipv6.opt.ioam.dex.type,
    -- .dex.rsv (registered upstream too) and .dex.extflag.flag.rsv.
    dexf.ns = ProtoField.uint16("ipv6.opt.ioam.dex.ns", "Namespace ID", base.DEC)
    dexf.flags = ProtoField.uint8("ipv6.opt.ioam.dex.flags", "Flags", base.DEC)
    dexf.extflags = ProtoField.uint8("ipv6.opt.ioam.dex.extflags", "Extension Flags", base.HEX)
    dexf.ext_flowid = ProtoField.bool("ipv6.opt.ioam.dex.extflag.flag.flowid", "Flow ID", 8, nil, 0x80)
    dexf.ext_seqnum = ProtoField.bool("ipv6.opt.ioam.dex.extflag.flag.seqnum", "Sequence Number", 8, nil, 0x40)
    dexf.ext_rsv = ProtoField.uint8("ipv6.opt.ioam.dex.extflag.flag.rsv", "Reserved", base.HEX, nil, 0x3f)
    dexf.type = ProtoField.uint24("ipv6.opt.ioam.dex.type", "Trace Type", base.HEX)
    dexf.rsv = ProtoField.uint8("ipv6.opt.ioam.dex.rsv", "Reserved", base.DEC)
    dexf.flowid = ProtoField.uint32("ipv6.opt.ioam.dex.extflag.flowid", "Flow ID", base.DEC)
    dexf.seqnum = ProtoField.uint32("ipv6.opt.ioam.dex.extflag.seqnum", "Sequence Number", base.DEC)
    dexf.ext_data = ProtoField.bytes("ipv6.opt.ioam.dex.ext_data", "Unassigned extension field")
    dexf.trailing = ProtoField.bytes("ipv6.opt.ioam.dex.trailing", "Trailing octets")
    local l = {}
    for _, f in pairs(dexf) do l[#l + 1] = f end
    p_dex.fields = l
    dex_ef.truncated = ProtoExpert.new("ioam_dex.truncated", "DEX option truncated",
        expert.group.MALFORMED, expert.severity.ERROR)
    dex_ef.trailing = ProtoExpert.new("ioam_dex.trailing", "DEX option longer than its flags announce",
        expert.group.MALFORMED, expert.severity.WARN)
    dex_ef.undefined = ProtoExpert.new("ioam_dex.undefined", "Unassigned bits set",
        expert.group.PROTOCOL, expert.severity.NOTE)
    dex_ef.anchor = ProtoExpert.new("ioam_dex.anchor", "IOAM option not found where tshark placed it",
        expert.group.MALFORMED, expert.severity.WARN)
    p_dex.experts = { dex_ef.truncated, dex_ef.trailing, dex_ef.undefined, dex_ef.anchor }
end

local f_ioam_opt_type = Field.new("ipv6.opt.ioam.opt_type")

-- Decodes one DEX option whose IOAM Option-Type octet is at opt_off in tvb
-- (the IPv6 option: type 0x31 at opt_off - 3, length at opt_off - 2).
local function dissect_dex_at(tvb, tree, opt_off)
    local len = tvb:len()
    local item = tree:add(p_dex, tvb(math.max(opt_off - 3, 0), math.min(len - math.max(opt_off - 3, 0), 3)))
    if opt_off < 3 or opt_off >= len or tvb(opt_off - 3, 1):uint() ~= 0x31 or tvb(opt_off, 1):uint() ~= 4 then
        item:add_proto_expert_info(dex_ef.anchor)
        return
    end
    -- Option data: Reserved, Option-Type, then the DEX header (RFC 9486 4.2).
    local body_len = tvb(opt_off - 2, 1):uint() - 2
    local start = opt_off + 1
    local avail = math.min(body_len, len - start)
    if avail < 0 then avail = 0 end
    if avail > 0 then item:set_len(3 + avail) end
    item:append_text(string.format(", %d octets", math.max(body_len, 0)))
    if body_len < 8 or avail < 8 then
        item:add_proto_expert_info(dex_ef.truncated,
            string.format("DEX option truncated: %d octets, the header needs 8", math.min(math.max(body_len, 0), avail)))
        if avail >= 2 then item:add(dexf.ns, tvb(start, 2)) end
        return
    end
    local ns = tvb(start, 2):uint()
    item:add(dexf.ns, tvb(start, 2))
    local fl = item:add(dexf.flags, tvb(start + 2, 1))
    if tvb(start + 2, 1):uint() ~= 0 then
        fl:add_proto_expert_info(dex_ef.undefined, "Flags: no flag is assigned (RFC 9326 3.2)")
    end
    local ext = tvb(start + 3, 1):uint()
    local et = item:add(dexf.extflags, tvb(start + 3, 1))
    et:add(dexf.ext_flowid, tvb(start + 3, 1))
    et:add(dexf.ext_seqnum, tvb(start + 3, 1))
    et:add(dexf.ext_rsv, tvb(start + 3, 1))
    local ttype = tvb(start + 4, 3):uint()
    local tt = item:add(dexf.type, tvb(start + 4, 3))
    tt:append_text(" (" .. type_names(ttype) .. ")")
    -- bits 12-21 are unassigned, bit 23 reserved (RFC 9197 4.4.1)
    if bit32.band(ttype, 0x000ffd) ~= 0 then
        tt:add_proto_expert_info(dex_ef.undefined, "Trace Type: unassigned or reserved bits set")
    end
    item:add(dexf.rsv, tvb(start + 7, 1))
    local pos, stop = start + 8, start + body_len
    local summary = string.format(" ns %d, type 0x%06x", ns, ttype)
    for b = 7, 0, -1 do
        if bit32.band(ext, bit32.lshift(1, b)) ~= 0 then
            if pos + 4 > stop or pos + 4 > len then
                item:add_proto_expert_info(dex_ef.truncated,
                    string.format("DEX option truncated: extension flag 0x%02x announces 4 octets", bit32.lshift(1, b)))
                item:append_text(summary)
                return
            end
            if b == 7 then
                item:add(dexf.flowid, tvb(pos, 4))
                summary = summary .. string.format(", flow %d", tvb(pos, 4):uint())
            elseif b == 6 then
                item:add(dexf.seqnum, tvb(pos, 4))
                summary = summary .. string.format(", seq %d", tvb(pos, 4):uint())
            else
                item:add(dexf.ext_data, tvb(pos, 4)):add_proto_expert_info(dex_ef.undefined,
                    string.format("Field of unassigned extension flag 0x%02x", bit32.lshift(1, b)))
            end
            pos = pos + 4
        end
    end
    if stop > pos then
        local n = math.min(stop, len) - pos
        if n > 0 then
            item:add(dexf.trailing, tvb(pos, n)):add_proto_expert_info(dex_ef.trailing,
                string.format("%d octets after the fields the extension flags announce", stop - pos))
        end
    end
    if stop > len then
        item:add_proto_expert_info(dex_ef.truncated,
            string.format("DEX option truncated: %d of %d octets captured", len - start, body_len))
    end
    item:append_text(summary)
end

-------------------------------------------------------------------------------
-- Part 2: IOAM6 generic netlink events (include/ioam/netlink, DESIGN.md)
--
--   cooked header (16) | nlmsghdr (16, host order) | genlmsghdr (4) | attrs
--   TRACE (cmd 1): 1 NAMESPACE u16 | 2 NODELEN u8 | 3 TYPE u32 (type << 8)
--                  | 4 DATA (filled nodes, the emitting node first)
--   DEX (cmd 2), per-field shape: 5 OPTION_TYPE u8 | 6 NAMESPACE u16
--                  | 7 FLOW_ID u32 | 8 SEQ_NUM u32 | 9..30 one attribute per
--                  trace-type bit 0..21 (network order) | 31 OSS_SCID | 32 OSS_DATA
--   Integers are in host order except the node data. The series' 64-bit pad
--   attribute is 33 (IOAM6_EVENT_ATTR_PAD); an empty 7 is taken as a pad too
--   (DESIGN.md: the pad number collides with DEX_FLOW_ID elsewhere).
-------------------------------------------------------------------------------

local p_ev = Proto("ioam6_genl", "IOAM6 generic netlink event (ioam.lua)")
p_ev.prefs.family_id = Pref.uint("IOAM6 family id", 0,
    "Generic netlink family id of IOAM6 (0: recognise events by their shape)")

local cmd_names = { [1] = "TRACE", [2] = "DEX", [8] = "EVENT_STATS" }
-- Attribute names per message kind: the same number means different things
-- in a TRACE event, the two DEX shapes and the statistics reply.
local names_trace = { [1] = "NAMESPACE", [2] = "NODELEN", [3] = "TYPE", [4] = "DATA" }
local names_dex_fields = {
    [5] = "OPTION_TYPE", [6] = "DEX_NAMESPACE", [7] = "DEX_FLOW_ID", [8] = "DEX_SEQ_NUM",
    [31] = "DEX_OSS_SCID", [32] = "DEX_OSS_DATA", [33] = "PAD",
}
for b = 0, 21 do names_dex_fields[9 + b] = "DEX_DATA bit " .. b end
local names_dex_node = { [1] = "NAMESPACE", [3] = "TYPE", [5] = "DEX_FLOW_ID", [6] = "DEX_SEQ_NUM",
    [7] = "DEX_NODE_DATA" }
local names_stats = { [7] = "PAD", [8] = "EVENTS_SENT", [9] = "EVENTS_SUPPRESSED" }

local ef = {
    cmd = ProtoField.uint8("ioam6_genl.cmd", "Event", base.DEC, cmd_names),
    family = ProtoField.uint16("ioam6_genl.family", "Family id", base.HEX),
    attr = ProtoField.uint16("ioam6_genl.attr", "Attribute", base.DEC),
    shape = ProtoField.string("ioam6_genl.shape", "Event shape"),
    attr_len = ProtoField.uint16("ioam6_genl.attr_len", "Attribute length", base.DEC),
    ns = ProtoField.uint16("ioam6_genl.ns", "Namespace ID", base.DEC),
    nodelen = ProtoField.uint8("ioam6_genl.nodelen", "Node length (4-octet units)", base.DEC),
    type = ProtoField.uint24("ioam6_genl.type", "Trace Type", base.HEX),
    type_rsv = ProtoField.uint8("ioam6_genl.type_rsv", "Trace Type word, reserved octet", base.HEX),
    option_type = ProtoField.uint8("ioam6_genl.option_type", "IOAM Option-Type", base.DEC),
    flowid = ProtoField.uint32("ioam6_genl.flowid", "Flow ID", base.DEC),
    seqnum = ProtoField.uint32("ioam6_genl.seqnum", "Sequence Number", base.DEC),
    nodes = ProtoField.uint16("ioam6_genl.nodes", "Nodes in the data", base.DEC),
    events_sent = ProtoField.uint64("ioam6_genl.events_sent", "Events sent", base.DEC),
    events_suppressed = ProtoField.uint64("ioam6_genl.events_suppressed", "Events suppressed", base.DEC),
    node = ProtoField.uint16("ioam6_genl.node", "Node", base.DEC),
    hlim = ProtoField.uint8("ioam6_genl.node.hlim", "Hop Limit", base.DEC),
    id = ProtoField.uint24("ioam6_genl.node.id", "Node ID", base.DEC),
    iif = ProtoField.uint16("ioam6_genl.node.iif", "Ingress ID", base.DEC),
    eif = ProtoField.uint16("ioam6_genl.node.eif", "Egress ID", base.DEC),
    tss = ProtoField.uint32("ioam6_genl.node.tss", "Timestamp Seconds", base.DEC),
    tsf = ProtoField.uint32("ioam6_genl.node.tsf", "Timestamp Fraction", base.DEC),
    trdelay = ProtoField.uint32("ioam6_genl.node.trdelay", "Transit Delay", base.DEC),
    nsdata = ProtoField.uint32("ioam6_genl.node.nsdata", "Namespace Data (short)", base.HEX),
    qdepth = ProtoField.uint32("ioam6_genl.node.qdepth", "Queue Depth", base.DEC),
    csum = ProtoField.uint32("ioam6_genl.node.csum", "Checksum Complement", base.HEX),
    id_wide = ProtoField.uint64("ioam6_genl.node.id_wide", "Node ID (wide)", base.DEC),
    iif_wide = ProtoField.uint32("ioam6_genl.node.iif_wide", "Ingress ID (wide)", base.DEC),
    eif_wide = ProtoField.uint32("ioam6_genl.node.eif_wide", "Egress ID (wide)", base.DEC),
    nsdata_wide = ProtoField.uint64("ioam6_genl.node.nsdata_wide", "Namespace Data (wide)", base.HEX),
    bufoccup = ProtoField.uint32("ioam6_genl.node.bufoccup", "Buffer Occupancy", base.DEC),
    undefined = ProtoField.uint32("ioam6_genl.node.undefined", "Undefined bit", base.HEX),
    oss_len = ProtoField.uint8("ioam6_genl.node.oss.len", "Snapshot length (4-octet units)", base.DEC),
    oss_scid = ProtoField.uint24("ioam6_genl.node.oss.scid", "Snapshot Schema ID", base.HEX),
    oss_data = ProtoField.bytes("ioam6_genl.node.oss.data", "Snapshot data"),
    unknown = ProtoField.bytes("ioam6_genl.unknown", "Unknown attribute"),
}
do
    local l = {}
    for _, f in pairs(ef) do l[#l + 1] = f end
    p_ev.fields = l
end
local ev_ex = {
    malformed = ProtoExpert.new("ioam6_genl.malformed", "Malformed IOAM6 event",
        expert.group.MALFORMED, expert.severity.ERROR),
    missing = ProtoExpert.new("ioam6_genl.missing", "Required attribute missing",
        expert.group.MALFORMED, expert.severity.ERROR),
    unknown = ProtoExpert.new("ioam6_genl.unknown_attr", "Unknown attribute (skipped, as the exporter does)",
        expert.group.UNDECODED, expert.severity.NOTE),
    unavailable = ProtoExpert.new("ioam6_genl.unavailable", "Value unavailable (all ones)",
        expert.group.COMMENTS_GROUP, expert.severity.CHAT),
}
p_ev.experts = { ev_ex.malformed, ev_ex.missing, ev_ex.unknown, ev_ex.unavailable }

local function all_ones(r)
    for i = 0, r:len() - 1 do
        if r(i, 1):uint() ~= 0xff then return false end
    end
    return true
end

local function add_value(tree, f, r)
    local it = tree:add(f, r)
    if all_ones(r) then it:append_text(" (unavailable)") end
    return it
end

-- One trace-type bit's field at r (network order). Returns false when r is
-- shorter than the field.
local function add_bit_field(tree, b, r)
    local size = bit_info[b][1]
    if r:len() < size then return false end
    if b == 0 then add_value(tree, ef.hlim, r(0, 1)); add_value(tree, ef.id, r(1, 3))
    elseif b == 1 then add_value(tree, ef.iif, r(0, 2)); add_value(tree, ef.eif, r(2, 2))
    elseif b == 2 then add_value(tree, ef.tss, r(0, 4))
    elseif b == 3 then add_value(tree, ef.tsf, r(0, 4))
    elseif b == 4 then add_value(tree, ef.trdelay, r(0, 4))
    elseif b == 5 then add_value(tree, ef.nsdata, r(0, 4))
    elseif b == 6 then add_value(tree, ef.qdepth, r(0, 4))
    elseif b == 7 then add_value(tree, ef.csum, r(0, 4))
    elseif b == 8 then add_value(tree, ef.hlim, r(0, 1)); add_value(tree, ef.id_wide, r(1, 7))
    elseif b == 9 then add_value(tree, ef.iif_wide, r(0, 4)); add_value(tree, ef.eif_wide, r(4, 4))
    elseif b == 10 then add_value(tree, ef.nsdata_wide, r(0, 8))
    elseif b == 11 then add_value(tree, ef.bufoccup, r(0, 4))
    elseif b <= 21 then tree:add(ef.undefined, r(0, 4))
    end
    return true
end

-- Node data of a trace type: nodes one after the other, each with its
-- opaque-state snapshot (bit 22) last. Returns the number of nodes.
local function add_nodes(tree, tvb, off, len, ttype, first_index)
    local opaque = bit32.band(ttype, bit_mask(22)) ~= 0
    local fixed = node_len_of(ttype) + (opaque and 4 or 0)
    local n, pos, stop = 0, off, off + len
    if fixed == 0 then
        if len > 0 then
            tree:add_proto_expert_info(ev_ex.malformed, "Node data but no data bit in the trace type")
        end
        return 0
    end
    while pos < stop do
        local node = tree:add(ef.node, tvb(pos, math.min(fixed, stop - pos)), first_index + n)
        if stop - pos < fixed then
            node:add_proto_expert_info(ev_ex.malformed,
                string.format("Node truncated: %d octets left, a node has %d", stop - pos, fixed))
            return n
        end
        local p = pos
        for b = 0, 21 do
            if bit32.band(ttype, bit_mask(b)) ~= 0 then
                add_bit_field(node, b, tvb(p, bit_info[b][1]))
                p = p + bit_info[b][1]
            end
        end
        if opaque then
            local olen = tvb(p, 1):uint() * 4
            node:add(ef.oss_len, tvb(p, 1))
            add_value(node, ef.oss_scid, tvb(p + 1, 3))
            p = p + 4
            if olen > 0 then
                if p + olen > stop then
                    node:add_proto_expert_info(ev_ex.malformed,
                        string.format("Snapshot truncated: %d octets announced, %d left", olen, stop - p))
                    return n + 1
                end
                node:add(ef.oss_data, tvb(p, olen))
                p = p + olen
            end
        end
        node:set_len(p - pos)
        n = n + 1
        pos = p
    end
    return n
end

-- Reads the attributes of one event: a list of {type, offset, length}, or
-- nil and an error text (attributes are 4-aligned TLVs).
local function read_attrs(tvb, off, stop, le)
    local attrs = {}
    while off < stop do
        if stop - off < 4 then return attrs, string.format("%d octets after the last attribute", stop - off) end
        local alen = le and tvb(off, 2):le_uint() or tvb(off, 2):uint()
        local atype = bit32.band(le and tvb(off + 2, 2):le_uint() or tvb(off + 2, 2):uint(), 0x3fff)
        if alen < 4 or off + alen > stop then
            return attrs, string.format("attribute %d: length %d does not fit", atype, alen)
        end
        attrs[#attrs + 1] = { atype, off, alen }
        off = off + bit32.band(alen + 3, bit32.bnot(3))
    end
    return attrs
end

local known_family = {}

-- Does this message look like an IOAM6 event? strict: every attribute known
-- and well sized, the required ones present (then its family id is learnt).
-- The kind of an IOAM6 message: "trace", "dex_node" (the kernel series'
-- DEX shape: it carries attribute 1), "dex_fields" (the reference patch's
-- per-field shape), "stats" (the reply to IOAM6_CMD_GET_EVENT_STATS), or nil.
local function kind_of(cmd, attrs)
    if cmd == 1 then return "trace" end
    if cmd == 8 then return "stats" end
    if cmd ~= 2 then return nil end
    for _, a in ipairs(attrs) do
        if a[1] == 1 then return "dex_node" end
    end
    return "dex_fields"
end

-- Payload size each known attribute must have (-1: a multiple of 4).
local sizes = {
    trace = { [1] = 2, [2] = 1, [3] = 4, [4] = -1 },
    dex_node = { [1] = 2, [3] = 4, [5] = 4, [6] = 4, [7] = -1 },
    dex_fields = { [5] = 1, [6] = 2, [7] = 4, [8] = 4, [31] = 4, [32] = -1 },
    stats = { [8] = 8, [9] = 8 },
}
for b = 0, 21 do sizes.dex_fields[9 + b] = bit_info[b][1] end
local required = { trace = { 1, 2, 3, 4 }, dex_node = { 1, 3, 7 }, dex_fields = { 6 }, stats = { 8, 9 } }
local attr_names = { trace = names_trace, dex_node = names_dex_node, dex_fields = names_dex_fields,
    stats = names_stats }

local function is_pad(kind, t, l)
    return l == 0 and ((kind == "dex_fields" and (t == 7 or t == 33)) or (kind == "stats" and t == 7))
end

-- Does this message look like an IOAM6 message? Every attribute known and
-- well sized, the required ones present (then its family id is learnt).
local function shape(tvb, cmd, attrs)
    local kind = kind_of(cmd, attrs)
    if not kind then return false end
    local seen = {}
    for _, a in ipairs(attrs) do
        local t, l = a[1], a[3] - 4
        seen[t] = true
        local want = sizes[kind][t]
        if not is_pad(kind, t, l) and not (want == l or (want == -1 and l % 4 == 0)) then return false end
    end
    for _, t in ipairs(required[kind]) do
        if not seen[t] then return false end
    end
    return true
end

local function dissect_event(tvb, pinfo, tree, off, mlen, le, family)
    local cmd = tvb(off + 16, 1):uint()
    local item = tree:add(p_ev, tvb(off, mlen))
    item:add(ef.family, tvb(off + 4, 2), family)
    local ci = item:add(ef.cmd, tvb(off + 16, 1))
    local attrs, err = read_attrs(tvb, off + 20, off + mlen, le)
    local kind = kind_of(cmd, attrs)
    if not kind then
        ci:add_proto_expert_info(ev_ex.malformed, "Unknown IOAM6 event command " .. cmd)
        item:append_text(": command " .. cmd)
        return "unknown"
    end
    if kind == "dex_node" then
        item:add(ef.shape, tvb(off + 16, 1), "node data (the kernel series)")
    elseif kind == "dex_fields" then
        item:add(ef.shape, tvb(off + 16, 1), "one attribute per field (the reference patch)")
    end
    if err then item:add_proto_expert_info(ev_ex.malformed, "Malformed attributes: " .. err) end
    local names = attr_names[kind]
    local u = function(r) return le and r:le_uint() or r:uint() end
    local u64 = function(r) return le and r:le_uint64() or r:uint64() end
    local seen = {}
    local ttype, nodelen, ns = nil, nil, nil
    local dex_present = 0
    local summary = {}
    for _, a in ipairs(attrs) do
        local t, aoff, alen = a[1], a[2], a[3]
        local pl = alen - 4
        local r = tvb(aoff + 4, pl)
        local sub = item:add(ef.attr, tvb(aoff, alen), t)
        sub:append_text(" (" .. (names[t] or "unknown") .. ")")
        sub:add(ef.attr_len, tvb(aoff, 2), alen)
        seen[t] = true
        local want = sizes[kind][t]
        local sized = want == pl or (want == -1 and pl % 4 == 0)
        if is_pad(kind, t, pl) then
            sub:append_text(" 64-bit pad")
        elseif not want then
            if pl > 0 then sub:add(ef.unknown, r) end
            sub:add_proto_expert_info(ev_ex.unknown)
        elseif not sized then
            sub:add_proto_expert_info(ev_ex.malformed, want == -1
                and string.format("%s: %d octets, not a multiple of 4", names[t], pl)
                or string.format("%s: %d octets, expected %d", names[t], pl, want))
        elseif (kind == "trace" or kind == "dex_node") and t == 1 then
            ns = u(r); sub:add(ef.ns, r, ns)
        elseif kind == "trace" and t == 2 then
            nodelen = r:uint(); sub:add(ef.nodelen, r)
        elseif (kind == "trace" or kind == "dex_node") and t == 3 then
            local w = u(r)
            ttype = bit32.rshift(w, 8)
            sub:add(ef.type, r, ttype):append_text(" (" .. type_names(ttype) .. ")")
            sub:add(ef.type_rsv, r, bit32.band(w, 0xff))
        elseif (kind == "trace" and t == 4) or (kind == "dex_node" and t == 7) then
            seen.data = { aoff + 4, pl, sub }
        elseif kind == "dex_fields" and t == 5 then
            sub:add(ef.option_type, r)
        elseif kind == "dex_fields" and t == 6 then
            ns = u(r); sub:add(ef.ns, r, ns)
        elseif (kind == "dex_fields" and t == 7) or (kind == "dex_node" and t == 5) then
            sub:add(ef.flowid, r, u(r)); summary[#summary + 1] = "flow " .. u(r)
        elseif (kind == "dex_fields" and t == 8) or (kind == "dex_node" and t == 6) then
            sub:add(ef.seqnum, r, u(r)); summary[#summary + 1] = "seq " .. u(r)
        elseif kind == "dex_fields" and t >= 9 and t <= 30 then
            add_bit_field(sub, t - 9, r)
            dex_present = bit32.bor(dex_present, bit_mask(t - 9))
        elseif kind == "dex_fields" and t == 31 then
            add_value(sub, ef.oss_scid, r(1, 3))
            dex_present = bit32.bor(dex_present, bit_mask(22))
        elseif kind == "dex_fields" and t == 32 then
            if pl > 0 then sub:add(ef.oss_data, r) end
            dex_present = bit32.bor(dex_present, bit_mask(22))
        elseif kind == "stats" and t == 8 then
            sub:add(ef.events_sent, r, u64(r)); summary[#summary + 1] = "sent " .. tostring(u64(r))
        elseif kind == "stats" and t == 9 then
            sub:add(ef.events_suppressed, r, u64(r)); summary[#summary + 1] = "suppressed " .. tostring(u64(r))
        end
    end
    for _, t in ipairs(required[kind]) do
        if not seen[t] then
            item:add_proto_expert_info(ev_ex.missing, "Required attribute missing: " .. names[t])
        end
    end
    if ttype and node_len_of(ttype) == 0 and bit32.band(ttype, bit_mask(22)) == 0 then
        item:add_proto_expert_info(ev_ex.malformed, "Trace type without any data field")
    end
    if seen.data and ttype then
        local doff, dlen, sub = seen.data[1], seen.data[2], seen.data[3]
        if nodelen and node_len_of(ttype) ~= nodelen * 4 then
            item:add_proto_expert_info(ev_ex.malformed,
                string.format("NODELEN %d does not match the trace type (%d)", nodelen, node_len_of(ttype) / 4))
        end
        local n = add_nodes(sub, tvb, doff, dlen, ttype, 0)
        if kind == "trace" then
            item:add(ef.nodes, tvb(doff, dlen), n)
            summary[#summary + 1] = string.format("%d node%s", n, n == 1 and "" or "s")
            if dlen == 0 then summary[#summary + 1] = "(no room: overflowed trace)" end
        elseif n ~= 1 then
            sub:add_proto_expert_info(ev_ex.malformed,
                string.format("DEX_NODE_DATA holds %d nodes of this trace type, a DEX event has one", n))
        end
    end
    if kind == "dex_fields" then
        item:add(ef.type, tvb(off + 16, 1), dex_present):append_text(" (from the attributes present)")
    end
    item:append_text(": " .. cmd_names[cmd])
    if ns then item:append_text(", ns " .. ns) end
    if ttype then item:append_text(string.format(", type 0x%06x", ttype)) end
    if #summary > 0 then item:append_text(", " .. table.concat(summary, ", ")) end
    return cmd_names[cmd]
end

local f_hatype = Field.new("netlink.hatype")
local f_nlfamily = Field.new("netlink.family")
local f_ctrl_name = Field.new("genl.ctrl.family_name")
local f_ctrl_id = Field.new("genl.ctrl.family_id")

local function dissect_netlink(tvb, pinfo, tree)
    local ha, fam = f_hatype(), f_nlfamily()
    if not ha or ha.value ~= 824 or not fam or fam.value ~= 16 then return end
    -- A controller reply naming IOAM6 in the same capture gives the id.
    local names, ids = { f_ctrl_name() }, { f_ctrl_id() }
    for i, n in ipairs(names) do
        if n.value == "IOAM6" and ids[i] then known_family[ids[i].value] = true end
    end
    local len, off = tvb:len(), 16
    local kinds = {}
    while off + 16 <= len do
        -- nlmsghdr in host order: take the order whose length fits.
        local le = true
        local mlen = tvb(off, 4):le_uint()
        if mlen < 16 or off + mlen > len then
            local be = tvb(off, 4):uint()
            if be < 16 or off + be > len then
                -- Framing broken: report it when the message is (by its
                -- family) an IOAM6 event, then stop.
                local family = tvb(off + 4, 2):le_uint()
                local pref = p_ev.prefs.family_id
                if (pref ~= 0 and family == pref) or (pref == 0 and known_family[family]) then
                    local item = tree:add(p_ev, tvb(off, len - off))
                    item:add(ef.family, tvb(off + 4, 2), family)
                    item:add_proto_expert_info(ev_ex.malformed,
                        string.format("Netlink message truncated: length %d, %d octets captured", mlen, len - off))
                    kinds[#kinds + 1] = "truncated"
                end
                break
            end
            le, mlen = false, be
        end
        local family = le and tvb(off + 4, 2):le_uint() or tvb(off + 4, 2):uint()
        if mlen >= 20 and family > 0x10 then
            local cmd = tvb(off + 16, 1):uint()
            local pref = p_ev.prefs.family_id
            local ours
            if pref ~= 0 then
                ours = family == pref
            elseif known_family[family] then
                ours = true
            elseif cmd == 1 or cmd == 2 or cmd == 8 then
                local attrs, err = read_attrs(tvb, off + 20, off + mlen, le)
                if not err and shape(tvb, cmd, attrs) then
                    known_family[family] = true
                    ours = true
                end
            end
            if ours then kinds[#kinds + 1] = dissect_event(tvb, pinfo, tree, off, mlen, le, family) end
        end
        off = off + bit32.band(mlen + 3, bit32.bnot(3))
    end
    if #kinds > 0 then
        pinfo.cols.protocol = "IOAM6"
        pinfo.cols.info = "IOAM6 " .. table.concat(kinds, ", ") .. " event" .. (#kinds > 1 and "s" or "")
    end
end

-------------------------------------------------------------------------------
-- One postdissector for both parts.
-------------------------------------------------------------------------------

local p_post = Proto("ioam_lua", "IOAM (ioam.lua " .. ioam_lua_version .. ")")

function p_post.dissector(tvb, pinfo, tree)
    local ok, err = pcall(function()
        if not dex_builtin then
            local found = 0
            for _, fi in ipairs({ f_ioam_opt_type() }) do
                if fi.value == 4 then
                    dissect_dex_at(tvb, tree, fi.offset)
                    found = found + 1
                end
            end
            if found > 0 then
                pinfo.cols.info:append(found == 1 and " [IOAM DEX]" or string.format(" [IOAM DEX x%d]", found))
            end
        end
        dissect_netlink(tvb, pinfo, tree)
    end)
    if not ok then
        -- Never a Lua error in the user's face: a bug here is reported as a
        -- malformed-packet expert item with its text.
        tree:add(p_post, tvb()):add_proto_expert_info(ev_ex.malformed, "ioam.lua: " .. tostring(err))
    end
end

register_postdissector(p_post)
