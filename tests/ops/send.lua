-- send.lua -- COUNT Mailman 2.1 confirmations to LIST from requester IP,
-- recipients RCPT1@example.com ... (miltertest -D SOCK=.. -D COUNT=.. -D LIST=..
-- -D IP=.. -D RCPT=.. -s send.lua). Prints the replies: a (accept), h (held),
-- y (reply code), d (discard). An IP with two %d is a pattern: the i-th
-- message comes from string.format(IP, i // 250, i % 250).
local out = ""
for i = 1, tonumber(COUNT) do
	local c = mt.connect(SOCK, 40, 0.1)
	assert(c, "cannot connect")
	assert(mt.conninfo(c, "localhost", "127.0.0.1") == nil)
	assert(mt.helo(c, "mx.example.net") == nil)
	mt.macro(c, SMFIC_MAIL, "i", string.format("ABCDEF%06d", i))
	assert(mt.mailfrom(c, "<" .. LIST .. "-bounces@lists.example.org>") == nil)
	local rcpt = RCPT .. i .. "@example.com"
	assert(mt.rcptto(c, "<" .. rcpt .. ">") == nil)
	local cookie = string.format("%040x", i + 4096 * #out + 17)
	for _, kv in ipairs({
		{"From", LIST .. "-request@lists.example.org"}, {"To", rcpt},
		{"Subject", "confirm " .. string.sub(string.rep(cookie, 2), 1, 40)},
		{"Reply-To", LIST .. "-request@lists.example.org"},
		{"Auto-Submitted", "auto-generated"},
		{"Message-ID", "<mailman." .. i .. "." .. RCPT .. "@lists.example.org>"},
		{"X-Mailman-Version", "2.1.39"}, {"X-List-Administrivia", "yes"}}) do
		assert(mt.header(c, kv[1], kv[2]) == nil)
	end
	assert(mt.eoh(c) == nil)
	local ip = IP
	if string.find(IP, "%d", 1, true) then
		ip = string.format(IP, math.floor(i / 250), i % 250)
	end
	assert(mt.bodystring(c, "Mailing list subscription confirmation notice\r\n\r\n" ..
		"We have received a request from " .. ip .. " for subscription of your\r\n") == nil)
	assert(mt.eom(c) == nil)
	local r = mt.getreply(c)
	if r == SMFIR_ACCEPT and mt.eom_check(c, MT_QUARANTINE) then
		out = out .. "h"
	elseif r == SMFIR_ACCEPT then
		out = out .. "a"
	elseif r == SMFIR_REPLYCODE then
		out = out .. "y"
	elseif r == SMFIR_DISCARD then
		out = out .. "d"
	else
		out = out .. "?"
	end
	mt.disconnect(c)
end
mt.echo(out)
