-- sfwd: the routing logic of etc/kamailio.cfg in Lua (KEMI), loaded by
-- etc/kamailio-lua.cfg (app_lua, cfgengine "lua"), which holds the global
-- parameters, modules and modparams. Each function below names the native
-- block it stands for; keep both configs in step.
--
-- Lua 5.1 (Debian's app_lua). Remarks:
--  * KSR.x.exit() is the native "exit": it ends the whole script run.
--    Never call Lua's os.exit(), it would end Kamailio's process.
--  * A native function that returns 0 ends the native script; where a KEMI
--    function can return 0 (t_check_trans, t_newtran, auth_check, ...) the
--    code below exits likewise.
--  * Kamailio calls ksr_request_route() for each request,
--    ksr_failure_message() as the failure route of a MESSAGE and
--    ksr_sfwd_event() for sfwd's events (modparam event_callback).
--    There is no reply or onsend route (as in etc/kamailio.cfg).

-- SFWD_NO_AUTH, as kamailio-lua.cfg saw it (a shared variable)
local function no_auth()
	return KSR.pv.get("$shv(sfwd_no_auth)") == 1
end

-- native "if (!f())" for a function whose 0 ends the script: exits on 0,
-- true on a negative value
local function failed(rc)
	if rc == 0 then
		KSR.x.exit()
	end
	return rc < 0
end

-- route[RELAY]
local function route_relay()
	if KSR.tm.t_relay() < 0 then
		KSR.sl.sl_reply_error()
	end
	KSR.x.exit()
end

-- t_newtran(), or else sl_reply_error() and exit
local function newtran()
	if failed(KSR.tm.t_newtran()) then
		KSR.sl.sl_reply_error()
		KSR.x.exit()
	end
end

-- route[STORE]: sf_store() returns only after the row is committed: 202
-- means stored. flush_aor: replay to it at once (a reachable recipient)
local function route_store(flush_aor)
	local rc = KSR.sfwd.sf_store()
	if rc > 0 then
		if flush_aor ~= nil then
			KSR.sfwd.sf_flush_aor(flush_aor)
		end
		-- the id delivery reports name when the sender gave none (IMDN)
		KSR.hdr.append_to_reply("X-Sfwd-Message-ID: sfwd-"
			.. tostring(KSR.pv.get("$xavp(sf=>id)")) .. "\r\n")
		KSR.sl.send_reply(202, "Accepted (Stored)")
		KSR.x.exit()
	end
	if rc == -2 then
		KSR.hdr.append_to_reply("Retry-After: 30\r\n")
		KSR.sl.send_reply(503, "Service Unavailable (Store Unavailable)")
	elseif rc == -3 then
		KSR.sl.send_reply(486, "Busy Here (Mailbox Full)")
	elseif rc == -4 then
		KSR.sl.send_reply(513, "Message Too Large")
	elseif rc == -5 then
		KSR.hdr.append_to_reply("Accept: "
			.. tostring(KSR.pv.get("$xavp(sf=>accept)")) .. "\r\n")
		KSR.sl.send_reply(415, "Unsupported Media Type")
	elseif rc == -6 then
		local why = KSR.pv.get("$sfwd(reason)")
		if why ~= nil then
			KSR.hdr.append_to_reply('Warning: 399 sfwd "' .. tostring(why)
				.. '"\r\n')
		end
		KSR.sl.send_reply(400, "Bad Request (Not Storable)")
	else
		KSR.sl.send_reply(480, "Temporarily Unavailable (Not Stored)")
	end
	KSR.x.exit()
end

-- WWW digest of the mailbox owner (realm of the mailbox), for SUBSCRIBE
-- message-summary and MSRP retrieval. www_authenticate()/www_challenge()
-- are not in KEMI: the native route[SFWD_WWW_AUTH] of kamailio-lua.cfg
-- does them (1: authenticated; else a 401 went out).
local function www_owner()
	if KSR.route("SFWD_WWW_AUTH") ~= 1 then
		KSR.x.exit()
	end
	-- the authenticated user must own the mailbox
	if KSR.pv.get("$au") ~= KSR.pv.get("$rU") then
		KSR.sl.sl_send_reply(403, "Forbidden (Not Your Mailbox)")
		KSR.x.exit()
	end
	KSR.auth.consume_credentials()
end

-- route[PRESENCE]: SUBSCRIBE message-summary (RFC 3842): only the mailbox
-- owner, digest authenticated, may watch a mailbox. Nobody publishes but
-- sfwd.
local function route_presence()
	if KSR.is_PUBLISH() then
		KSR.sl.sl_send_reply(403, "Forbidden (Summaries Come From sfwd)")
		KSR.x.exit()
	end
	if KSR.hdr.get("Event") ~= "message-summary" then
		KSR.hdr.append_to_reply("Allow-Events: message-summary\r\n")
		KSR.sl.sl_send_reply(489, "Bad Event")
		KSR.x.exit()
	end
	if KSR.siputils.has_totag() < 0 then
		-- sfwd is the server here: WWW digest, realm of the mailbox
		www_owner()
	end
	newtran()
	-- the current counts, then handle_subscribe(): the NOTIFYs of the
	-- subscription go out in CSeq order, each with the counts of its time
	KSR.sfwd.sf_mwi_subscribe()
	KSR.tm.t_release()
	KSR.x.exit()
end

-- route[RETRIEVE]: an INVITE with an MSRP offer to one's own address
-- fetches what waits: sfwd answers with its MSRP session and sends each
-- stored message as message/sip. Only the owner, digest authenticated,
-- gets it.
local function route_retrieve()
	www_owner()
	newtran()
	local rc = KSR.sfwd.sf_flush()
	if rc == 1 then
		KSR.x.exit()
	elseif rc == -1 then
		KSR.tm.t_reply(488, "Not Acceptable Here (MSRP message/sip Wanted)")
	elseif rc == -3 then
		KSR.tm.t_reply(486, "Busy Here (Too Many Retrieval Sessions)")
	else
		KSR.tm.t_reply(500, "Server Error (No MSRP Session)")
	end
	KSR.x.exit()
end

-- route[REQINIT]
local function route_reqinit()
	if KSR.maxfwd.process_maxfwd(10) < 0 then
		KSR.sl.sl_send_reply(483, "Too Many Hops")
		KSR.x.exit()
	end
	if KSR.is_OPTIONS() and KSR.is_myself_ruri() and KSR.pv.is_null("$rU") then
		KSR.sl.sl_send_reply(200, "Keepalive")
		KSR.x.exit()
	end
	if failed(KSR.sanity.sanity_check(17895, 7)) then
		KSR.xlog.xwarn("malformed request from $si:$sp\n")
		KSR.x.exit()
	end
	-- identities are asserted by trusted sources only (this Kamailio
	-- itself here); from anyone else they are removed, and sfwd does not
	-- store what the script removed
	if KSR.is_myself_srcip() and KSR.pv.get("$sp") == KSR.pv.get("$Rp") then
		KSR.setflag(5)
	else
		KSR.hdr.remove("P-Asserted-Identity")
		KSR.hdr.remove("P-Preferred-Identity")
		KSR.hdr.remove("Identity")
	end
	-- NAT: answer where the request came from; contacts with private
	-- addresses are fixed
	KSR.force_rport()
	if KSR.nathelper.nat_uac_test(19) > 0 and not KSR.is_REGISTER() then
		KSR.nathelper.fix_nated_contact()
	end
end

-- route[AUTH]: digest authentication (table subscriber, ha1): REGISTER
-- with 401, other requests from our users with 407. MESSAGEs sfwd sends
-- itself (reports, notices) come from this Kamailio's own socket and are
-- trusted. Nothing with SFWD_NO_AUTH.
local function route_auth()
	if no_auth() then
		return
	end
	if KSR.is_myself_srcip() and KSR.pv.get("$sp") == KSR.pv.get("$Rp") then
		return
	end
	if not KSR.is_REGISTER() and not KSR.is_myself_ruri() then
		KSR.sl.sl_send_reply(403, "Forbidden (Not Relaying)")
		KSR.x.exit()
	end
	-- REGISTER, and requests from users of our own domain; requests from
	-- other domains to our users come in unauthenticated
	if KSR.is_REGISTER() or KSR.pv.get("$fd") == KSR.pv.get("$rd") then
		local realm = KSR.pv.gete("$fd")
		local rc = KSR.auth_db.auth_check(realm, "subscriber", 1)
		-- -1, an error: also a query whose database connection died (a
		-- failover): checked once more, not challenged again
		if rc == -1 then
			rc = KSR.auth_db.auth_check(realm, "subscriber", 1)
		end
		if failed(rc) then
			KSR.auth.auth_challenge(realm, 1)
			KSR.x.exit()
		end
		if not KSR.is_REGISTER() then
			KSR.auth.consume_credentials()
		end
	end
end

-- route[WITHINDLG]
local function route_withindlg()
	if KSR.siputils.has_totag() < 0 then
		return
	end
	if KSR.is_BYE() and KSR.is_myself_ruri() then
		-- the end of an MSRP retrieval session (its dialog: Call-ID and
		-- both tags); any other BYE to us names no dialog we have
		if KSR.sfwd.sf_flush() > 0 then
			KSR.sl.sl_send_reply(200, "OK")
		else
			KSR.sl.sl_send_reply(481, "Call/Transaction Does Not Exist")
		end
		KSR.x.exit()
	end
	if KSR.is_SUBSCRIBE() and KSR.is_myself_ruri() then
		-- refresh or end of a message-summary subscription
		route_presence()
	end
	if KSR.rr.loose_route() > 0 then
		route_relay()
	end
	if KSR.is_ACK() then
		if KSR.tm.t_check_trans() > 0 then
			route_relay()
		end
		KSR.x.exit()
	end
	KSR.sl.sl_send_reply(404, "Not Here")
	KSR.x.exit()
end

-- route[REGISTRAR]
local function route_registrar()
	if KSR.nathelper.nat_uac_test(19) > 0 then
		KSR.nathelper.fix_nated_register()
	end
	if KSR.registrar.save("location", 0) < 0 then
		KSR.sl.sl_reply_error()
	end
	KSR.x.exit()
end

-- route[SUBSCRIBER]: is the Request-URI a local subscriber? 1 yes, -2 no
-- such user, -1 the database could not say (then the store answers for
-- itself). A yes is kept for 5 minutes (htable sfwd_sub).
local function route_subscriber()
	local key = tostring(KSR.pv.get("$rU")) .. "@" .. tostring(KSR.pv.get("$rd"))
	if KSR.htable.sht_get("sfwd_sub", key) == 1 then
		return 1
	end
	local rc = KSR.auth_db.is_subscriber(KSR.pv.get("$ru"), "subscriber", 3)
	if rc == 1 then
		KSR.htable.sht_seti("sfwd_sub", key, 1)
	end
	return rc
end

-- route[GROUP]: sf_explode() sends a list or group MESSAGE to each
-- recipient (sfwd answers the sender); -1: neither, route it on
local function route_group()
	local rc = KSR.sfwd.sf_explode()
	if rc == 1 then
		KSR.x.exit()
	elseif rc == -1 then
		return
	elseif rc == -2 then
		local reason = KSR.pv.get("$sfwd(reason)")
		if reason ~= nil then
			KSR.hdr.append_to_reply("Warning: 399 sfwd \"" .. reason .. "\"\r\n")
		end
		KSR.sl.send_reply(400, "Bad Request (Recipient List)")
	elseif rc == -3 then
		KSR.sl.send_reply(413, "Request Entity Too Large (Too Many Recipients)")
	elseif rc == -4 then
		KSR.sl.send_reply(513, "Message Too Large")
	elseif rc == -5 then
		KSR.sl.send_reply(403, "Forbidden (Not a Group Member)")
	elseif rc == -6 then
		KSR.hdr.append_to_reply("Retry-After: 30\r\n")
		KSR.sl.send_reply(503, "Service Unavailable (Store Unavailable)")
	else
		KSR.sl.send_reply(500, "Server Error (Not Exploded)")
	end
	KSR.x.exit()
end

-- route[MESSAGE]: the sender's store flag decides what happens when the
-- recipient cannot be reached.
local function route_message()
	-- a copy of a group message this proxy sent itself: trusted only from
	-- here; an unresponsive phone must not keep the group's sender waiting
	local copy = false
	if KSR.hdr.is_present("X-Sfwd-Group") > 0 then
		if KSR.isflagset(5) then
			copy = true
			KSR.tm.t_set_fr(0, 10000)
		end
		KSR.hdr.remove("X-Sfwd-Group")
	end
	if not copy and KSR.hdr.is_present("Require") > 0 then
		route_group()
	end
	local class = KSR.sfwd.sf_classify()
	if class == -2 then
		KSR.sl.sl_send_reply(400, "Bad Store Flag")
		KSR.x.exit()
	end
	if KSR.registrar.lookup("location") < 0 then
		-- a server-side group (sfwd.group_set) goes to its members
		if not copy then
			route_group()
		end
		-- only local subscribers have a mailbox
		-- -2: no such user; -1: the database could not say (the store
		-- answers for itself)
		if route_subscriber() == -2 then
			KSR.sl.sl_send_reply(404, "Not Found")
			KSR.x.exit()
		end
		if class == 1 then
			KSR.sl.sl_send_reply(480, "Temporarily Unavailable (Instant Only)")
			KSR.x.exit()
		end
		-- the recipient's profile may send messages elsewhere (SMS gateway)
		local forward = KSR.pv.get("$xavp(sf=>forward)")
		if forward ~= nil then
			KSR.pv.sets("$ru", tostring(forward))
			route_relay()
		end
		-- a transaction absorbs retransmissions while the row is written
		newtran()
		route_store()
	end
	-- the recipient's profile wants a notice with a link or a copy beyond
	-- SIP of every message: stored (202 once committed), replayed at once
	if class ~= 1 and KSR.pv.get("$xavp(sf=>store_first)") == 1 then
		newtran()
		route_store(KSR.pv.get("$ou"))
	end
	-- registered but perhaps not reachable: store on 408/477/480/5xx
	if class ~= 1 then
		KSR.tm.t_on_failure("ksr_failure_message")
		-- a contact that cannot be sent to at all (its TCP/TLS connection
		-- is gone): stored like one that does not answer, not 477
		KSR.tm.t_set_disable_internal_reply(1)
		if KSR.tm.t_relay() < 0 then
			if route_subscriber() == -2 then
				KSR.tm.t_reply(404, "Not Found")
				KSR.x.exit()
			end
			route_store()
		end
		KSR.x.exit()
	end
	route_relay()
end

-- what sf_session_accept() said, as route[SESSION_REPLY] answers it
local function session_reply(rc)
	if rc == 1 then
		KSR.x.exit()
	elseif rc == -1 then
		KSR.tm.t_reply(488, "Not Acceptable Here (MSRP Offer Wanted)")
	elseif rc == -2 then
		KSR.tm.t_reply(480, "Temporarily Unavailable (Instant Only)")
	elseif rc == -3 then
		KSR.tm.t_reply(480, "Temporarily Unavailable (Not Stored)")
	elseif rc == -4 then
		KSR.tm.t_reply(486, "Busy Here (Too Many Sessions)")
	elseif rc == -6 then
		KSR.tm.t_reply(400, "Bad Request (Not Storable)")
	else
		KSR.tm.t_reply(500, "Server Error (No MSRP Session)")
	end
	KSR.x.exit()
end

local function msrp_invite()
	return KSR.is_INVITE() and KSR.textops.search_body("TCP/MSRP") > 0
end

-- route[SESSION]: an MSRP session for a local subscriber who cannot be
-- reached; unless the sender asked for instant delivery, sfwd answers it
-- and stores each message of the session
local function route_session()
	if route_subscriber() == -2 then
		KSR.sl.sl_send_reply(404, "Not Found")
		KSR.x.exit()
	end
	newtran()
	session_reply(KSR.sfwd.sf_session_accept())
end

-- route[LOCATION]
local function route_location()
	if KSR.registrar.lookup("location") < 0 then
		if msrp_invite() then
			route_session()
		end
		KSR.sl.sl_send_reply(404, "Not Found")
		KSR.x.exit()
	end
	-- registered but perhaps not reachable: sfwd takes the session on
	-- 408/480/503 from every branch
	if msrp_invite() then
		KSR.tm.t_on_failure("ksr_failure_session")
	end
	route_relay()
end

function ksr_failure_session()
	if KSR.tm.t_is_canceled() > 0 then
		KSR.x.exit()
	end
	if KSR.tm.t_check_status("408|480|503") > 0 then
		session_reply(KSR.sfwd.sf_session_accept())
	end
end

-- request_route
function ksr_request_route()
	route_reqinit()

	if KSR.is_CANCEL() then
		if KSR.tm.t_check_trans() > 0 then
			route_relay()
		end
		KSR.x.exit()
	end

	if not KSR.is_ACK() then
		if KSR.tmx.t_precheck_trans() > 0 then
			KSR.tm.t_check_trans()
			KSR.x.exit()
		end
		if KSR.tm.t_check_trans() == 0 then
			KSR.x.exit()
		end
	end

	route_withindlg()

	KSR.hdr.remove("Route")
	if KSR.is_INVITE() or KSR.is_SUBSCRIBE() then
		KSR.rr.record_route()
	end

	-- SUBSCRIBE message-summary and MSRP retrieval authenticate themselves
	if KSR.is_SUBSCRIBE() or KSR.is_PUBLISH() then
		route_presence()
	end
	if KSR.is_INVITE() and KSR.pv.get("$fU") == KSR.pv.get("$rU")
			and KSR.pv.get("$fd") == KSR.pv.get("$rd")
			and KSR.textops.search_body("TCP/MSRP") > 0 then
		route_retrieve()
	end

	route_auth()

	if KSR.is_REGISTER() then
		route_registrar()
	end

	if KSR.pv.is_null("$rU") then
		KSR.sl.sl_send_reply(484, "Address Incomplete")
		KSR.x.exit()
	end

	if KSR.is_MESSAGE() then
		route_message()
	end

	route_location()
end

-- failure_route[MESSAGE_FAILED]
function ksr_failure_message()
	if KSR.tm.t_is_canceled() > 0 then
		KSR.x.exit()
	end
	if KSR.tm.t_check_status("408|477|480|5[0-9][0-9]") > 0
			and route_subscriber() ~= -2 then
		route_store()
	end
end

-- event_route[sfwd:*]: events for operators, one JSON line per stored,
-- delivered or failed message (ship them to billing, push notifications,
-- ...), as etc/kamailio.cfg logs them; here the strings are JSON-escaped.

local function json_str(v)
	if v == nil then
		return "null"
	end
	return '"' .. string.gsub(tostring(v), '[%c"\\]', function(c)
		return string.format("\\u%04x", string.byte(c))
	end) .. '"'
end

-- a number as it is, anything else as a string
local function json_num(v)
	if v == nil then
		return "null"
	end
	if string.match(tostring(v), "^%-?%d+$") then
		return tostring(v)
	end
	return json_str(v)
end

local function sfev(name)
	return KSR.pv.get("$xavp(sfev=>" .. name .. ")")
end

-- evname: "sfwd:stored", "sfwd:delivered" or "sfwd:failed"
-- event_route[xhttp:request] (SFWD_HTTP_PORT): sfwd's links on the HTTP
-- listener only; anything else 404
function ksr_xhttp_event(evname)
	if KSR.pv.get("$Rn") == "http" and KSR.sfwd.sf_http() > 0 then
		return 1
	end
	KSR.xhttp.xhttp_reply(404, "Not Found", "text/plain", "not found\n")
	return 1
end

function ksr_sfwd_event(evname)
	local line
	if evname == "sfwd:stored" then
		line = '{"sfwd":"stored","id":' .. json_num(sfev("id"))
			.. ',"to":' .. json_str(KSR.pv.get("$ru"))
			.. ',"from":' .. json_str(sfev("from")) .. '}'
	elseif evname == "sfwd:delivered" then
		line = '{"sfwd":"delivered","id":' .. json_num(sfev("id"))
			.. ',"to":' .. json_str(sfev("aor"))
			.. ',"code":' .. json_num(sfev("code")) .. '}'
	elseif evname == "sfwd:failed" then
		line = '{"sfwd":' .. json_str(sfev("state"))
			.. ',"id":' .. json_num(sfev("id"))
			.. ',"to":' .. json_str(sfev("aor"))
			.. ',"code":' .. json_num(sfev("code")) .. '}'
	elseif evname == "sfwd:group" then
		line = '{"sfwd":"group","state":' .. json_str(sfev("state"))
			.. ',"from":' .. json_str(sfev("from"))
			.. ',"call_id":' .. json_str(sfev("call_id"))
			.. ',"code":' .. json_num(sfev("code"))
			.. ',"copies":' .. json_num(sfev("copies"))
			.. ',"delivered":' .. json_num(sfev("delivered"))
			.. ',"stored":' .. json_num(sfev("stored"))
			.. ',"refused":' .. json_num(sfev("refused"))
			.. ',"lost":' .. json_num(sfev("lost")) .. '}'
	else
		KSR.warn("sfwd: unknown event " .. tostring(evname) .. "\n")
		return
	end
	KSR.info(line .. "\n")
end
