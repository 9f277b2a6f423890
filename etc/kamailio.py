# sfwd: the routing logic of etc/kamailio.cfg in Python (KEMI), loaded by
# etc/kamailio-python.cfg (app_python3, cfgengine "python"), which holds the
# global parameters, modules and modparams. It is etc/kamailio.lua function
# for function; each names the native block it stands for. Keep the
# configs in step.
#
# Python 3 (Debian's app_python3). Remarks:
#  * app_python3 imports this file as the module "kamailio" and calls
#    mod_init(), which returns the object whose methods Kamailio calls:
#    ksr_request_route() for each request, ksr_failure_message() and
#    ksr_failure_session() as failure routes (named in t_on_failure()),
#    ksr_sfwd_event() for sfwd's events (modparam event_callback) and
#    ksr_xhttp_event() for HTTP requests (SFWD_HTTP_PORT). There is no
#    reply or onsend route (as in etc/kamailio.cfg). Each of them must
#    return an int (1): app_python3 reads it as one, and None leaves a
#    Python error set that breaks the next KSR calls of the process.
#  * Kamailio 5.6's KSR.x holds modf() only: no KSR.x.exit(). exit_route()
#    below is the native "exit": it raises SystemExit, which each method
#    Kamailio calls catches (the route ends there, 1 goes back). Uncaught,
#    app_python3 would format and debug-log a traceback for each request.
#    Never call os._exit(), it would end Kamailio's process.
#  * A native function that returns 0 ends the native script; where a KEMI
#    function can return 0 (t_check_trans, t_newtran, auth_check, ...) the
#    code below exits likewise.
#  * KSR.pv.get() gives None for $null, an int or a str. A str is decoded
#    as UTF-8: a value from the wire that is not UTF-8 raises
#    UnicodeDecodeError (a Lua string is bytes, Lua never sees that). The
#    request route answers such a request 400; the event callback writes
#    null for such a value.

import re

import KSR as KSR


def mod_init():
    """called by app_python3 when it loads this file: the routing object"""
    KSR.info("sfwd: routing in Python by " + __file__ + "\n")
    return kamailio()


# native "exit": ends the whole script run (see above)
def exit_route():
    raise SystemExit


# SFWD_NO_AUTH, as kamailio-python.cfg saw it (a shared variable)
def no_auth():
    return KSR.pv.get("$shv(sfwd_no_auth)") == 1


# native "if (!f())" for a function whose 0 ends the script: exits on 0,
# True on a negative value
def failed(rc):
    if rc == 0:
        exit_route()
    return rc < 0


# route[RELAY]
def route_relay():
    if KSR.tm.t_relay() < 0:
        KSR.sl.sl_reply_error()
    exit_route()


# t_newtran(), or else sl_reply_error() and exit
def newtran():
    if failed(KSR.tm.t_newtran()):
        KSR.sl.sl_reply_error()
        exit_route()


# route[STORE]: sf_store() returns only after the row is committed: 202
# means stored. flush_aor: replay to it at once (a reachable recipient)
def route_store(flush_aor=None):
    rc = KSR.sfwd.sf_store()
    if rc > 0:
        if flush_aor is not None:
            KSR.sfwd.sf_flush_aor(flush_aor)
        # the id delivery reports name when the sender gave none (IMDN)
        KSR.hdr.append_to_reply("X-Sfwd-Message-ID: sfwd-"
                                + str(KSR.pv.get("$xavp(sf=>id)")) + "\r\n")
        KSR.sl.send_reply(202, "Accepted (Stored)")
        exit_route()
    if rc == -2:
        KSR.hdr.append_to_reply("Retry-After: 30\r\n")
        KSR.sl.send_reply(503, "Service Unavailable (Store Unavailable)")
    elif rc == -3:
        KSR.sl.send_reply(486, "Busy Here (Mailbox Full)")
    elif rc == -4:
        KSR.sl.send_reply(513, "Message Too Large")
    elif rc == -5:
        KSR.hdr.append_to_reply("Accept: "
                                + str(KSR.pv.get("$xavp(sf=>accept)"))
                                + "\r\n")
        KSR.sl.send_reply(415, "Unsupported Media Type")
    elif rc == -6:
        why = KSR.pv.get("$sfwd(reason)")
        if why is not None:
            KSR.hdr.append_to_reply('Warning: 399 sfwd "' + str(why)
                                    + '"\r\n')
        KSR.sl.send_reply(400, "Bad Request (Not Storable)")
    else:
        KSR.sl.send_reply(480, "Temporarily Unavailable (Not Stored)")
    exit_route()


# WWW digest of the mailbox owner (realm of the mailbox), for SUBSCRIBE
# message-summary and MSRP retrieval. www_authenticate()/www_challenge()
# are not in KEMI: the native route[SFWD_WWW_AUTH] of kamailio-python.cfg
# does them (1: authenticated; else a 401 went out).
def www_owner():
    if KSR.route("SFWD_WWW_AUTH") != 1:
        exit_route()
    # the authenticated user must own the mailbox
    if KSR.pv.get("$au") != KSR.pv.get("$rU"):
        KSR.sl.sl_send_reply(403, "Forbidden (Not Your Mailbox)")
        exit_route()
    KSR.auth.consume_credentials()


# route[PRESENCE]: SUBSCRIBE message-summary (RFC 3842): only the mailbox
# owner, digest authenticated, may watch a mailbox. Nobody publishes but
# sfwd.
def route_presence():
    if KSR.is_PUBLISH():
        KSR.sl.sl_send_reply(403, "Forbidden (Summaries Come From sfwd)")
        exit_route()
    if KSR.hdr.get("Event") != "message-summary":
        KSR.hdr.append_to_reply("Allow-Events: message-summary\r\n")
        KSR.sl.sl_send_reply(489, "Bad Event")
        exit_route()
    if KSR.siputils.has_totag() < 0:
        # sfwd is the server here: WWW digest, realm of the mailbox
        www_owner()
    newtran()
    # the current counts, then handle_subscribe(): the NOTIFYs of the
    # subscription go out in CSeq order, each with the counts of its time
    KSR.sfwd.sf_mwi_subscribe()
    KSR.tm.t_release()
    exit_route()


# route[RETRIEVE]: an INVITE with an MSRP offer to one's own address
# fetches what waits: sfwd answers with its MSRP session and sends each
# stored message as message/sip. Only the owner, digest authenticated,
# gets it.
def route_retrieve():
    www_owner()
    newtran()
    rc = KSR.sfwd.sf_flush()
    if rc == 1:
        exit_route()
    elif rc == -1:
        KSR.tm.t_reply(488, "Not Acceptable Here (MSRP message/sip Wanted)")
    elif rc == -3:
        KSR.tm.t_reply(486, "Busy Here (Too Many Retrieval Sessions)")
    else:
        KSR.tm.t_reply(500, "Server Error (No MSRP Session)")
    exit_route()


# route[REQINIT]
def route_reqinit():
    if KSR.maxfwd.process_maxfwd(10) < 0:
        KSR.sl.sl_send_reply(483, "Too Many Hops")
        exit_route()
    if (KSR.is_OPTIONS() and KSR.is_myself_ruri()
            and KSR.pv.is_null("$rU")):
        KSR.sl.sl_send_reply(200, "Keepalive")
        exit_route()
    if failed(KSR.sanity.sanity_check(17895, 7)):
        KSR.xlog.xwarn("malformed request from $si:$sp\n")
        exit_route()
    # identities are asserted by trusted sources only (this Kamailio
    # itself here); from anyone else they are removed, and sfwd does not
    # store what the script removed
    if KSR.is_myself_srcip() and KSR.pv.get("$sp") == KSR.pv.get("$Rp"):
        KSR.setflag(5)
    else:
        KSR.hdr.remove("P-Asserted-Identity")
        KSR.hdr.remove("P-Preferred-Identity")
        KSR.hdr.remove("Identity")
    # NAT: answer where the request came from; contacts with private
    # addresses are fixed
    KSR.force_rport()
    if KSR.nathelper.nat_uac_test(19) > 0 and not KSR.is_REGISTER():
        KSR.nathelper.fix_nated_contact()


# route[AUTH]: digest authentication (table subscriber, ha1): REGISTER
# with 401, other requests from our users with 407. MESSAGEs sfwd sends
# itself (reports, notices) come from this Kamailio's own socket and are
# trusted. Nothing with SFWD_NO_AUTH.
def route_auth():
    if no_auth():
        return
    if KSR.is_myself_srcip() and KSR.pv.get("$sp") == KSR.pv.get("$Rp"):
        return
    if not KSR.is_REGISTER() and not KSR.is_myself_ruri():
        KSR.sl.sl_send_reply(403, "Forbidden (Not Relaying)")
        exit_route()
    # REGISTER, and requests from users of our own domain; requests from
    # other domains to our users come in unauthenticated
    if KSR.is_REGISTER() or KSR.pv.get("$fd") == KSR.pv.get("$rd"):
        realm = KSR.pv.gete("$fd")
        rc = KSR.auth_db.auth_check(realm, "subscriber", 1)
        # -1, an error: also a query whose database connection died (a
        # failover): checked once more, not challenged again
        if rc == -1:
            rc = KSR.auth_db.auth_check(realm, "subscriber", 1)
        if failed(rc):
            KSR.auth.auth_challenge(realm, 1)
            exit_route()
        if not KSR.is_REGISTER():
            KSR.auth.consume_credentials()


# route[WITHINDLG]
def route_withindlg():
    if KSR.siputils.has_totag() < 0:
        return
    if KSR.is_BYE() and KSR.is_myself_ruri():
        # the end of an MSRP retrieval session (its dialog: Call-ID and
        # both tags); any other BYE to us names no dialog we have
        if KSR.sfwd.sf_flush() > 0:
            KSR.sl.sl_send_reply(200, "OK")
        else:
            KSR.sl.sl_send_reply(481, "Call/Transaction Does Not Exist")
        exit_route()
    if KSR.is_SUBSCRIBE() and KSR.is_myself_ruri():
        # refresh or end of a message-summary subscription
        route_presence()
    if KSR.rr.loose_route() > 0:
        route_relay()
    if KSR.is_ACK():
        if KSR.tm.t_check_trans() > 0:
            route_relay()
        exit_route()
    KSR.sl.sl_send_reply(404, "Not Here")
    exit_route()


# route[REGISTRAR]
def route_registrar():
    if KSR.nathelper.nat_uac_test(19) > 0:
        KSR.nathelper.fix_nated_register()
    if KSR.registrar.save("location", 0) < 0:
        KSR.sl.sl_reply_error()
    exit_route()


# route[SUBSCRIBER]: is the Request-URI a local subscriber? 1 yes, -2 no
# such user, -1 the database could not say (then the store answers for
# itself). A yes is kept for 5 minutes (htable sfwd_sub).
def route_subscriber():
    key = str(KSR.pv.get("$rU")) + "@" + str(KSR.pv.get("$rd"))
    if KSR.htable.sht_get("sfwd_sub", key) == 1:
        return 1
    rc = KSR.auth_db.is_subscriber(KSR.pv.get("$ru"), "subscriber", 3)
    if rc == 1:
        KSR.htable.sht_seti("sfwd_sub", key, 1)
    return rc


# route[GROUP]: sf_explode() sends a list or group MESSAGE to each
# recipient (sfwd answers the sender); -1: neither, route it on
def route_group():
    rc = KSR.sfwd.sf_explode()
    if rc == 1:
        exit_route()
    elif rc == -1:
        return
    elif rc == -2:
        reason = KSR.pv.get("$sfwd(reason)")
        if reason is not None:
            KSR.hdr.append_to_reply('Warning: 399 sfwd "' + str(reason)
                                    + '"\r\n')
        KSR.sl.send_reply(400, "Bad Request (Recipient List)")
    elif rc == -3:
        KSR.sl.send_reply(413,
                          "Request Entity Too Large (Too Many Recipients)")
    elif rc == -4:
        KSR.sl.send_reply(513, "Message Too Large")
    elif rc == -5:
        KSR.sl.send_reply(403, "Forbidden (Not a Group Member)")
    elif rc == -6:
        KSR.hdr.append_to_reply("Retry-After: 30\r\n")
        KSR.sl.send_reply(503, "Service Unavailable (Store Unavailable)")
    else:
        KSR.sl.send_reply(500, "Server Error (Not Exploded)")
    exit_route()


# route[MESSAGE]: the sender's store flag decides what happens when the
# recipient cannot be reached.
def route_message():
    # a copy of a group message this proxy sent itself: trusted only from
    # here; an unresponsive phone must not keep the group's sender waiting
    copy = False
    if KSR.hdr.is_present("X-Sfwd-Group") > 0:
        if KSR.isflagset(5):
            copy = True
            KSR.tm.t_set_fr(0, 10000)
        KSR.hdr.remove("X-Sfwd-Group")
    if not copy and KSR.hdr.is_present("Require") > 0:
        route_group()
    store_class = KSR.sfwd.sf_classify()
    if store_class == -2:
        KSR.sl.sl_send_reply(400, "Bad Store Flag")
        exit_route()
    if KSR.registrar.lookup("location") < 0:
        # a server-side group (sfwd.group_set) goes to its members
        if not copy:
            route_group()
        # only local subscribers have a mailbox
        # -2: no such user; -1: the database could not say (the store
        # answers for itself)
        if route_subscriber() == -2:
            KSR.sl.sl_send_reply(404, "Not Found")
            exit_route()
        if store_class == 1:
            KSR.sl.sl_send_reply(480, "Temporarily Unavailable (Instant Only)")
            exit_route()
        # the recipient's profile may send messages elsewhere (SMS gateway)
        forward = KSR.pv.get("$xavp(sf=>forward)")
        if forward is not None:
            KSR.pv.sets("$ru", str(forward))
            route_relay()
        # a transaction absorbs retransmissions while the row is written
        newtran()
        route_store()
    # the recipient's profile wants a notice with a link or a copy beyond
    # SIP of every message: stored (202 once committed), replayed at once
    if store_class != 1 and KSR.pv.get("$xavp(sf=>store_first)") == 1:
        newtran()
        route_store(KSR.pv.get("$ou"))
    # registered but perhaps not reachable: store on 408/477/480/5xx
    if store_class != 1:
        KSR.tm.t_on_failure("ksr_failure_message")
        # a contact that cannot be sent to at all (its TCP/TLS connection
        # is gone): stored like one that does not answer, not 477
        KSR.tm.t_set_disable_internal_reply(1)
        if KSR.tm.t_relay() < 0:
            if route_subscriber() == -2:
                KSR.tm.t_reply(404, "Not Found")
                exit_route()
            route_store()
        exit_route()
    route_relay()


# what sf_session_accept() said, as route[SESSION_REPLY] answers it
def session_reply(rc):
    if rc == 1:
        exit_route()
    elif rc == -1:
        KSR.tm.t_reply(488, "Not Acceptable Here (MSRP Offer Wanted)")
    elif rc == -2:
        KSR.tm.t_reply(480, "Temporarily Unavailable (Instant Only)")
    elif rc == -3:
        KSR.tm.t_reply(480, "Temporarily Unavailable (Not Stored)")
    elif rc == -4:
        KSR.tm.t_reply(486, "Busy Here (Too Many Sessions)")
    elif rc == -6:
        KSR.tm.t_reply(400, "Bad Request (Not Storable)")
    else:
        KSR.tm.t_reply(500, "Server Error (No MSRP Session)")
    exit_route()


def msrp_invite():
    return KSR.is_INVITE() and KSR.textops.search_body("TCP/MSRP") > 0


# route[SESSION]: an MSRP session for a local subscriber who cannot be
# reached; unless the sender asked for instant delivery, sfwd answers it
# and stores each message of the session
def route_session():
    if route_subscriber() == -2:
        KSR.sl.sl_send_reply(404, "Not Found")
        exit_route()
    newtran()
    session_reply(KSR.sfwd.sf_session_accept())


# route[LOCATION]
def route_location():
    if KSR.registrar.lookup("location") < 0:
        if msrp_invite():
            route_session()
        KSR.sl.sl_send_reply(404, "Not Found")
        exit_route()
    # registered but perhaps not reachable: sfwd takes the session on
    # 408/480/503 from every branch
    if msrp_invite():
        KSR.tm.t_on_failure("ksr_failure_session")
    route_relay()


# request_route
def request_route():
    route_reqinit()

    if KSR.is_CANCEL():
        if KSR.tm.t_check_trans() > 0:
            route_relay()
        exit_route()

    if not KSR.is_ACK():
        if KSR.tmx.t_precheck_trans() > 0:
            KSR.tm.t_check_trans()
            exit_route()
        if KSR.tm.t_check_trans() == 0:
            exit_route()

    route_withindlg()

    KSR.hdr.remove("Route")
    if KSR.is_INVITE() or KSR.is_SUBSCRIBE():
        KSR.rr.record_route()

    # SUBSCRIBE message-summary and MSRP retrieval authenticate themselves
    if KSR.is_SUBSCRIBE() or KSR.is_PUBLISH():
        route_presence()
    if (KSR.is_INVITE() and KSR.pv.get("$fU") == KSR.pv.get("$rU")
            and KSR.pv.get("$fd") == KSR.pv.get("$rd")
            and KSR.textops.search_body("TCP/MSRP") > 0):
        route_retrieve()

    route_auth()

    if KSR.is_REGISTER():
        route_registrar()

    if KSR.pv.is_null("$rU"):
        KSR.sl.sl_send_reply(484, "Address Incomplete")
        exit_route()

    if KSR.is_MESSAGE():
        route_message()

    route_location()


# failure_route[MESSAGE_FAILED]
def failure_message():
    if KSR.tm.t_is_canceled() > 0:
        exit_route()
    if (KSR.tm.t_check_status("408|477|480|5[0-9][0-9]") > 0
            and route_subscriber() != -2):
        route_store()


# failure route of an MSRP session to a registered user (route[LOCATION])
def failure_session():
    if KSR.tm.t_is_canceled() > 0:
        exit_route()
    if KSR.tm.t_check_status("408|480|503") > 0:
        session_reply(KSR.sfwd.sf_session_accept())


# event_route[sfwd:*]: events for operators, one JSON line per stored,
# delivered or failed message and per group message (ship them to
# billing, push notifications, ...), as etc/kamailio.cfg logs them; here
# the strings are JSON-escaped (the same escapes as etc/kamailio.lua).

_JSON_ESCAPE = re.compile('[\x00-\x1f\x7f"\\\\]')
_INTEGER = re.compile("-?[0-9]+")


def json_str(v):
    if v is None:
        return "null"
    return '"' + _JSON_ESCAPE.sub(lambda m: "\\u%04x" % ord(m.group()),
                                  str(v)) + '"'


# a number as it is, anything else as a string
def json_num(v):
    if v is None:
        return "null"
    if _INTEGER.fullmatch(str(v)):
        return str(v)
    return json_str(v)


# a variable for an event line: None (null) also when it is not UTF-8
def ev_pv(name):
    try:
        return KSR.pv.get(name)
    except UnicodeDecodeError:
        return None


def sfev(name):
    return ev_pv("$xavp(sfev=>" + name + ")")


# evname: "sfwd:stored", "sfwd:delivered", "sfwd:failed" or "sfwd:group"
def sfwd_event(evname):
    if evname == "sfwd:stored":
        line = ('{"sfwd":"stored","id":' + json_num(sfev("id"))
                + ',"to":' + json_str(ev_pv("$ru"))
                + ',"from":' + json_str(sfev("from")) + '}')
    elif evname == "sfwd:delivered":
        line = ('{"sfwd":"delivered","id":' + json_num(sfev("id"))
                + ',"to":' + json_str(sfev("aor"))
                + ',"code":' + json_num(sfev("code")) + '}')
    elif evname == "sfwd:failed":
        line = ('{"sfwd":' + json_str(sfev("state"))
                + ',"id":' + json_num(sfev("id"))
                + ',"to":' + json_str(sfev("aor"))
                + ',"code":' + json_num(sfev("code")) + '}')
    elif evname == "sfwd:group":
        line = ('{"sfwd":"group","state":' + json_str(sfev("state"))
                + ',"from":' + json_str(sfev("from"))
                + ',"call_id":' + json_str(sfev("call_id"))
                + ',"code":' + json_num(sfev("code"))
                + ',"copies":' + json_num(sfev("copies"))
                + ',"delivered":' + json_num(sfev("delivered"))
                + ',"stored":' + json_num(sfev("stored"))
                + ',"refused":' + json_num(sfev("refused"))
                + ',"lost":' + json_num(sfev("lost")) + '}')
    else:
        KSR.warn("sfwd: unknown event " + str(evname) + "\n")
        return
    KSR.info(line + "\n")


# event_route[xhttp:request] (SFWD_HTTP_PORT): sfwd's links on the HTTP
# listener only; anything else 404
def xhttp_event(evname):
    if KSR.pv.get("$Rn") == "http" and KSR.sfwd.sf_http() > 0:
        return
    KSR.xhttp.xhttp_reply(404, "Not Found", "text/plain", "not found\n")


# runs one route for Kamailio: exit_route() ends it; 1 back to Kamailio
def run(route, *args):
    try:
        route(*args)
    except SystemExit:
        pass
    return 1


# -- the object mod_init() returns: the methods Kamailio calls by name
class kamailio:
    # each worker process, after the fork
    def child_init(self, rank):
        return 0

    # request_route
    def ksr_request_route(self, msg):
        try:
            return run(request_route)
        except UnicodeDecodeError:
            # a URI part or header that is not UTF-8 (see above)
            KSR.xlog.xwarn("sfwd: request from $si:$sp with text that is"
                           " not UTF-8\n")
            KSR.sl.send_reply(400, "Bad Request (Not UTF-8)")
            return 1

    # failure_route[MESSAGE_FAILED] (t_on_failure("ksr_failure_message"))
    def ksr_failure_message(self, msg):
        return run(failure_message)

    # t_on_failure("ksr_failure_session")
    def ksr_failure_session(self, msg):
        return run(failure_session)

    # modparam("sfwd", "event_callback", "ksr_sfwd_event")
    def ksr_sfwd_event(self, msg, evname):
        return run(sfwd_event, evname)

    # modparam("xhttp", "event_callback", "ksr_xhttp_event")
    def ksr_xhttp_event(self, msg, evname):
        return run(xhttp_event, evname)
