// The example PBX's browser softphone: JsSIP over WebSocket, one call at a time. Query parameters prefill the form
// (?ws=ws://127.0.0.1:8080&user=1003&password=...&domain=127.0.0.1&number=1001&autoregister=1).
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const started = Date.now();
  let ua = null;
  let session = null;

  /** One log line with the milliseconds since the page opened: the call's timeline. */
  function log(text) {
    const line = `t=${((Date.now() - started) / 1000).toFixed(3)}s ${text}`;
    $('log').textContent += line + '\n';
    console.log(line);
  }

  function setState(text, cls) {
    $('state').textContent = text;
    $('state').className = cls || '';
    document.title = 'SipRelay softphone: ' + text;
  }

  function buttons() {
    const registered = ua !== null && ua.isRegistered();
    $('register').disabled = ua !== null;
    $('unregister').disabled = ua === null;
    $('call').disabled = !registered || session !== null;
    $('answer').disabled = session === null || session.direction !== 'incoming' || session.isEstablished();
    $('hangup').disabled = session === null;
  }

  function prefill() {
    const q = new URLSearchParams(location.search);
    const host = location.hostname || '127.0.0.1';
    $('ws').value = q.get('ws') || `ws://${host}:8080`;
    $('user').value = q.get('user') || '';
    $('password').value = q.get('password') || '';
    $('domain').value = q.get('domain') || host;
    $('number').value = q.get('number') || '';
    return q.get('autoregister') === '1';
  }

  function register() {
    if (typeof JsSIP === 'undefined') {
      setState('JsSIP is missing: build the PBX with npm installed (mvn install bundles it)', 'failed');
      return;
    }
    const domain = $('domain').value.trim();
    const socket = new JsSIP.WebSocketInterface($('ws').value.trim());
    ua = new JsSIP.UA({
      sockets: [socket],
      uri: `sip:${$('user').value.trim()}@${domain}`,
      password: $('password').value,
      register: true,
      session_timers: false,
      user_agent: 'SipRelay softphone (JsSIP ' + JsSIP.version + ')'
    });
    ua.on('connected', () => log('WebSocket connected'));
    ua.on('disconnected', () => log('WebSocket disconnected'));
    ua.on('registered', () => { log('REGISTER 200: registered'); setState('registered', 'registered'); buttons(); });
    ua.on('unregistered', () => { log('unregistered'); setState('not registered'); buttons(); });
    ua.on('registrationFailed', (e) => {
      log('registration failed: ' + (e.response ? e.response.status_code + ' ' + e.response.reason_phrase : e.cause));
      setState('registration failed: ' + e.cause, 'failed');
      buttons();
    });
    ua.on('newRTCSession', (e) => track(e.session, e.originator));
    ua.start();
    log('registering ' + ua.configuration.uri + ' over ' + $('ws').value);
    buttons();
  }

  function unregister() {
    if (ua) {
      ua.stop();
      ua = null;
    }
    setState('not registered');
    buttons();
  }

  function track(s, originator) {
    if (session !== null) {
      s.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      return;
    }
    session = s;
    if (originator === 'remote') {
      log('INVITE from ' + s.remote_identity.uri);
      setState('incoming call from ' + s.remote_identity.uri.user, 'in-call');
    }
    s.on('progress', (e) => log(e.response ? 'call progress ' + e.response.status_code : 'ringing (180 sent)'));
    s.on('accepted', () => log('200: call answered'));
    s.on('confirmed', () => { log('ACK: call established'); setState('in call', 'in-call'); buttons(); });
    s.on('peerconnection', (e) => attach(e.peerconnection));
    s.on('ended', (e) => finish((e.originator === 'remote' ? 'BYE received: ' : 'BYE sent: ') + 'call ended ('
        + e.originator + ': ' + e.cause + ')'));
    s.on('failed', (e) => finish('call failed (' + e.originator + ': ' + e.cause + ')'));
    if (s.connection) {
      attach(s.connection);
    }
    buttons();
  }

  function attach(pc) {
    pc.addEventListener('track', (e) => {
      $('remote').srcObject = e.streams[0];
      log('remote audio track');
    });
  }

  function finish(text) {
    log(text);
    session = null;
    setState(ua && ua.isRegistered() ? 'registered (' + text + ')' : text, ua && ua.isRegistered() ? 'registered' : '');
    buttons();
  }

  function call() {
    const target = `sip:${$('number').value.trim()}@${$('domain').value.trim()}`;
    log('INVITE to ' + target);
    setState('calling ' + $('number').value.trim(), 'in-call');
    ua.call(target, { mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  }

  function answer() {
    log('answering');
    session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  }

  function hangup() {
    log('hanging up');
    session.terminate();
  }

  /** For scripted use (tests, the console): the same actions as the buttons, and the timeline so far. */
  window.softphone = {
    register, unregister, call, answer, hangup,
    state: () => $('state').textContent,
    log: () => $('log').textContent,
    /** The call's SDP both ways, as the browser holds it: what it offered or answered, and what rtpengine sent. */
    sdp: () => {
      const pc = session && session.connection;
      return pc ? { local: pc.localDescription && pc.localDescription.sdp,
        remote: pc.remoteDescription && pc.remoteDescription.sdp,
        ice: pc.iceConnectionState, connection: pc.connectionState } : null;
    },
    stats: async () => {
      if (!session || !session.connection) {
        return null;
      }
      const out = { packetsSent: 0, packetsReceived: 0 };
      const report = await session.connection.getStats();
      report.forEach((r) => {
        if (r.type === 'outbound-rtp' && r.kind === 'audio') out.packetsSent += r.packetsSent;
        if (r.type === 'inbound-rtp' && r.kind === 'audio') out.packetsReceived += r.packetsReceived;
        if (r.type === 'transport') {
          out.iceState = r.iceState;
          out.dtlsState = r.dtlsState;
          out.dtlsRole = r.dtlsRole;
          const pair = report.get(r.selectedCandidatePairId);
          const local = pair && report.get(pair.localCandidateId);
          const remote = pair && report.get(pair.remoteCandidateId);
          if (local && remote) {
            out.candidatePair = `${local.address}:${local.port} -> ${remote.address}:${remote.port}`;
          }
        }
      });
      return out;
    }
  };

  $('register').onclick = register;
  $('unregister').onclick = unregister;
  $('call').onclick = call;
  $('answer').onclick = answer;
  $('hangup').onclick = hangup;
  if (prefill()) {
    register();
  }
  buttons();
})();
