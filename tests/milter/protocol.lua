-- protocol.lua -- subgate at the milter-protocol level, without an MTA.
-- Run by run.sh: miltertest -D SOCK=unix:/path -s protocol.lua, and again
-- with SOCK=inet:PORT@127.0.0.1. Each case speaks the MTA side to a running
-- subgate and checks the reply and the end-of-message actions. Prints
-- "N passed, M failed".
local passed, failed = 0, 0
-- Over a unix socket subgate negotiates DATA away and asks for no answer at
-- connect, HELO, MAIL and headers; over TCP every step is answered.
local UNIX = string.sub(SOCK, 1, 5) ~= "inet:"

local function check(what, ok)
	if ok then
		passed = passed + 1
		mt.echo("PASS: " .. what)
	else
		failed = failed + 1
		mt.echo("FAIL: " .. what)
	end
end

local function open()
	local c = mt.connect(SOCK, 40, 0.1)
	assert(c, "cannot connect to " .. SOCK)
	assert(mt.conninfo(c, "localhost", "127.0.0.1") == nil)
	-- HELO before any macro: a HELO clears the later stages' macros.
	assert(mt.helo(c, "mx.example.net") == nil)
	return c
end

-- data: the DATA step, as the MTA sends it (not at all over a unix socket)
local function data(c)
	if not UNIX then
		assert(mt.data(c) == nil)
	end
end

-- A Mailman 2.1 confirmation's headers, as Mailman 2.1.39 writes them.
local function mm21_headers(c, list, rcpt, cookie)
	local h = {
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=\"us-ascii\""},
		{"Content-Transfer-Encoding", "7bit"},
		{"From", list .. "-request@lists.example.org"},
		{"To", rcpt},
		{"Subject", "confirm " .. cookie},
		{"Reply-To", list .. "-request@lists.example.org"},
		{"Auto-Submitted", "auto-generated"},
		{"Message-ID", "<mailman.0.1796321493.1." .. cookie .. "@lists.example.org>"},
		{"X-Mailman-Version", "2.1.39"},
		{"X-List-Administrivia", "yes"},
	}
	for _, kv in ipairs(h) do
		assert(mt.header(c, kv[1], kv[2]) == nil)
	end
end

-- confirmation LIST RCPT COOKIE: the whole transaction up to eom
local function confirmation(list, rcpt, cookie, requester)
	local c = open()
	mt.macro(c, SMFIC_MAIL, "i", "4AB12C0FFEE")
	assert(mt.mailfrom(c, "<" .. list .. "-bounces@lists.example.org>") == nil)
	assert(mt.rcptto(c, "<" .. rcpt .. ">") == nil)
	data(c)
	mm21_headers(c, list, rcpt, cookie)
	assert(mt.eoh(c) == nil)
	assert(mt.bodystring(c, "Mailing list subscription confirmation notice for mailing list X\r\n\r\n" ..
		"We have received a request from " .. requester .. " for\r\nsubscription of your email address.\r\n") == nil)
	assert(mt.eom(c) == nil)
	return c
end

local ok, err = pcall(function()
	-- 1. Ordinary mail is let go at its first RCPT (MAIL FROM cannot tell
	-- it from a subscription requested by mail).
	local c = open()
	assert(mt.mailfrom(c, "<bob@example.net>") == nil)
	check("ordinary mail: MAIL FROM continues", mt.getreply(c) == SMFIR_CONTINUE)
	assert(mt.rcptto(c, "<carol@example.com>") == nil)
	check("ordinary mail: accepted at RCPT", mt.getreply(c) == SMFIR_ACCEPT)
	mt.disconnect(c)

	-- 1b. What was negotiated: DATA off over a unix socket, on over TCP.
	c = open()
	assert(mt.mailfrom(c, "<mylist-bounces@lists.example.org>") == nil)
	assert(mt.rcptto(c, "<dora@example.com>") == nil)
	local dok, derr = pcall(mt.data, c)
	if UNIX then
		check("unix socket: DATA negotiated away",
			not dok and string.find(tostring(derr), "SMFIP_NODATA", 1, true) ~= nil)
	else
		check("TCP socket: DATA answered", dok and mt.getreply(c) == SMFIR_CONTINUE)
	end
	mt.disconnect(c)

	-- 2. A list post (two recipients) is let go at the second RCPT.
	c = open()
	assert(mt.mailfrom(c, "<mylist-bounces@lists.example.org>") == nil)
	assert(mt.getreply(c) == SMFIR_CONTINUE)
	assert(mt.rcptto(c, "<a@example.com>") == nil)
	assert(mt.rcptto(c, "<b@example.com>") == nil)
	check("two recipients: accepted at RCPT", mt.getreply(c) == SMFIR_ACCEPT)
	mt.disconnect(c)

	-- 3. An invitation (no Reply-To) is let go at end of headers.
	c = open()
	assert(mt.mailfrom(c, "<mylist-bounces@lists.example.org>") == nil)
	assert(mt.rcptto(c, "<ian@example.com>") == nil)
	data(c)
	assert(mt.header(c, "Subject", "confirm 0123456789abcdef0123456789abcdef01234567") == nil)
	assert(mt.header(c, "Auto-Submitted", "auto-generated") == nil)
	assert(mt.header(c, "X-Mailman-Version", "2.1.39") == nil)
	assert(mt.header(c, "X-List-Administrivia", "yes") == nil)
	assert(mt.eoh(c) == nil)
	check("invitation: accepted at end of headers", mt.getreply(c) == SMFIR_ACCEPT)
	mt.disconnect(c)

	-- 4. accept: the X-Subgate header is added.
	c = confirmation("mylist", "alice@example.com", "1111111111111111111111111111111111111111", "192.0.2.10")
	check("accept: reply", mt.getreply(c) == SMFIR_ACCEPT)
	check("accept: X-Subgate added", mt.eom_check(c, MT_HDRADD, "X-Subgate"))
	mt.disconnect(c)

	-- 5. hold: quarantined, with the rule as the reason, and the header.
	c = confirmation("holdme", "h@example.com", "2222222222222222222222222222222222222222", "192.0.2.11")
	check("hold: reply accept", mt.getreply(c) == SMFIR_ACCEPT)
	check("hold: quarantined", mt.eom_check(c, MT_QUARANTINE, "subgate: limit list holdme 0/1h hold (holdme)"))
	check("hold: the header says why", mt.eom_check(c, MT_HDRADD, "X-Subgate",
		"hold; reason=\"limit list holdme 0/1h hold (holdme)\"; origin=192.0.2.11; list=holdme"))
	mt.disconnect(c)

	-- 6. defer: 451 4.7.1 with the reason.
	c = confirmation("deferme", "d@example.com", "3333333333333333333333333333333333333333", "192.0.2.12")
	check("defer: reply code", mt.getreply(c) == SMFIR_REPLYCODE)
	check("defer: 451 4.7.1", mt.eom_check(c, MT_SMTPREPLY, "451", "4.7.1",
		"subgate: too many subscription confirmations (limit list deferme 0/1h defer (deferme)), try again later"))
	mt.disconnect(c)

	-- 7. reject: 550 5.7.1.
	c = confirmation("rejectme", "r@example.com", "4444444444444444444444444444444444444444", "192.0.2.13")
	check("reject: 550 5.7.1", mt.eom_check(c, MT_SMTPREPLY, "550", "5.7.1",
		"subgate: subscription confirmation refused (limit list rejectme 0/1h reject (rejectme))"))
	mt.disconnect(c)

	-- 8. discard.
	c = confirmation("dropme", "x@example.com", "5555555555555555555555555555555555555555", "192.0.2.14")
	check("discard: reply", mt.getreply(c) == SMFIR_DISCARD)
	mt.disconnect(c)

	-- 9. Requests by mail (list_domains = lists.example.org, spf = off so
	-- every result is "none", policy "spf none hold").
	-- A command address of another domain is ordinary mail.
	c = open()
	assert(mt.mailfrom(c, "<bob@example.net>") == nil)
	assert(mt.rcptto(c, "<mylist-join@elsewhere.example>") == nil)
	check("join elsewhere: accepted at RCPT", mt.getreply(c) == SMFIR_ACCEPT)
	mt.disconnect(c)
	-- LIST-subscribe is a command address like LIST-join: kept past RCPT.
	c = open()
	assert(mt.mailfrom(c, "<bob@example.net>") == nil)
	assert(mt.rcptto(c, "<mylist-subscribe@lists.example.org>") == nil)
	check("-subscribe: RCPT continues", mt.getreply(c) == SMFIR_CONTINUE)
	mt.disconnect(c)
	-- LIST-request with another subject is no subscription.
	c = open()
	assert(mt.mailfrom(c, "<bob@example.net>") == nil)
	assert(mt.rcptto(c, "<mylist-request@lists.example.org>") == nil)
	check("-request: RCPT continues", mt.getreply(c) == SMFIR_CONTINUE)
	data(c)
	assert(mt.header(c, "From", "Bob <bob@example.net>") == nil)
	assert(mt.header(c, "Subject", "help") == nil)
	assert(mt.eoh(c) == nil)
	check("-request help: accepted at end of headers", mt.getreply(c) == SMFIR_ACCEPT)
	mt.disconnect(c)
	-- A join by mail: accepted ("hold" applies to its confirmation) ...
	c = open()
	assert(mt.mailfrom(c, "<bob@example.net>") == nil)
	assert(mt.rcptto(c, "<MyList-Join@Lists.Example.Org>") == nil)
	data(c)
	assert(mt.header(c, "From", "Bob <Bob@Example.NET>") == nil)
	assert(mt.header(c, "Subject", "") == nil)
	assert(mt.eoh(c) == nil)
	check("join by mail: accepted at end of headers", mt.getreply(c) == SMFIR_ACCEPT)
	mt.disconnect(c)
	-- ... and its confirmation, whose requester is that address, is tied
	-- to the SMTP client and held by the request's SPF result.
	c = confirmation("mylist", "bob@example.net", "6666666666666666666666666666666666666666", "bob@example.net")
	check("confirmation of a join by mail: reply accept", mt.getreply(c) == SMFIR_ACCEPT)
	check("confirmation of a join by mail: held by spf none hold",
		mt.eom_check(c, MT_QUARANTINE, "subgate: spf none hold"))
	mt.disconnect(c)
end)
if not ok then
	failed = failed + 1
	mt.echo("FAIL: script error: " .. tostring(err))
end
mt.echo(passed .. " passed, " .. failed .. " failed")
if failed > 0 then
	error("failures")
end
