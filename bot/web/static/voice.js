// The voice page: microphone -> 16 kHz int16 PCM -> /ws/voice; transcripts, replies and
// reply audio back. No libraries, nothing from a CDN: it works on a closed network.
// Protocol: see bot/gateway/voice_ws.py. window.voiceState mirrors what happened (tests).
(() => {
  "use strict";

  const params = new URLSearchParams(location.search);
  const state = (window.voiceState = {
    status: "idle", sessionId: null, sentBytes: 0, partials: [], finals: [], replies: [],
    audio: { chunks: 0, bytes: 0, seconds: 0 }, stopPlayback: 0, errors: [], closeCode: null,
  });
  const $ = (id) => document.getElementById(id);
  const els = {
    call: $("call"), human: $("human"), status: $("status"), partial: $("partial"),
    transcript: $("transcript"), level: $("level-bar"),
  };

  let ws = null;
  let ctx = null;
  let mic = null;
  let nodes = [];
  let started = false;
  let pendingAudio = null; // the "audio" message whose binary frame comes next
  let playing = [];
  let playEnd = 0;

  const CLOSE_REASONS = {
    1008: "连接因多次错误被关闭", 1011: "语音识别暂时不可用，请稍后再试",
    1013: "当前线路繁忙，请稍后再试",
  };

  function setStatus(text, kind) {
    state.status = kind || state.status;
    els.status.textContent = text;
  }

  function bubble(kind, who, text) {
    const li = document.createElement("li");
    li.className = kind;
    const label = document.createElement("span");
    label.className = "who";
    label.textContent = who;
    li.appendChild(label);
    li.appendChild(document.createTextNode(text));
    els.transcript.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function sendText(text, shown) {
    if (!started) return;
    bubble("caller", "您", shown || text);
    send({ type: "text", text });
  }

  // -- reply audio ---------------------------------------------------------------------

  function stopPlayback() {
    for (const source of playing) {
      source.onended = null;
      try { source.stop(); } catch (e) { /* already stopped */ }
    }
    playing = [];
    playEnd = 0;
  }

  function playAudio(buffer) {
    const meta = pendingAudio;
    pendingAudio = null;
    if (!meta || !ctx) return;
    state.audio.chunks += 1;
    state.audio.bytes += buffer.byteLength;
    const offset = meta.format === "wav" ? 44 : 0;
    const pcm = new Int16Array(buffer, offset, (buffer.byteLength - offset) >> 1);
    if (pcm.length === 0) return;
    const audio = ctx.createBuffer(1, pcm.length, meta.sample_rate);
    const channel = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) channel[i] = pcm[i] / 32768;
    state.audio.seconds += audio.duration;
    const source = ctx.createBufferSource();
    source.buffer = audio;
    source.connect(ctx.destination);
    const at = Math.max(ctx.currentTime, playEnd);
    source.start(at);
    playEnd = at + audio.duration;
    playing.push(source);
    source.onended = () => {
      playing = playing.filter((s) => s !== source);
      if (playing.length === 0) send({ type: "playback_done" });
    };
  }

  // -- server messages -----------------------------------------------------------------

  function onReply(m) {
    state.replies.push(m);
    const li = bubble("bot reply", "客服", m.full_text || m.text);
    if (m.buttons && m.buttons.length) {
      const box = document.createElement("div");
      box.className = "choices";
      for (const b of m.buttons) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", () => sendText(b.payload || b.title, b.title));
        box.appendChild(button);
      }
      li.appendChild(box);
    }
  }

  function onMessage(m) {
    switch (m.type) {
      case "started":
        started = true;
        state.sessionId = m.session_id;
        els.human.disabled = false;
        setStatus("通话中，请直接说出您的问题", "in-call");
        break;
      case "partial":
        state.partials.push(m.text);
        els.partial.textContent = m.text + "……";
        break;
      case "final":
        els.partial.textContent = "";
        state.finals.push(m.text);
        if (m.text) bubble("caller final", "您", m.text);
        break;
      case "reply":
        onReply(m);
        break;
      case "audio":
        pendingAudio = m;
        break;
      case "stop_playback":
        state.stopPlayback += 1;
        stopPlayback();
        break;
      case "error":
        state.errors.push(m);
        bubble("error", "提示", m.message);
        break;
      case "stopped":
        setStatus("通话已结束", "ended");
        break;
      default:
        break;
    }
  }

  // -- microphone ----------------------------------------------------------------------

  function onPcm(buffer, level) {
    els.level.style.width = Math.min(100, Math.round(level * 400)) + "%";
    if (!started || !ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(buffer);
    state.sentBytes += buffer.byteLength;
  }

  async function captureNode(source) {
    const silent = ctx.createGain(); // keeps the graph pulled without playing the mic back
    silent.gain.value = 0;
    silent.connect(ctx.destination);
    if (ctx.audioWorklet) {
      await ctx.audioWorklet.addModule("/static/voice-worklet.js");
      const node = new AudioWorkletNode(ctx, "pcm16-downsampler");
      node.port.onmessage = (e) => onPcm(e.data.pcm, e.data.level);
      source.connect(node).connect(silent);
      return [node, silent];
    }
    // Old browsers: ScriptProcessor on the main thread, same downsampling as the worklet.
    const node = ctx.createScriptProcessor(4096, 1, 1);
    const ratio = ctx.sampleRate / 16000;
    let acc = 0, count = 0, pos = 0;
    node.onaudioprocess = (e) => {
      const input = e.inputBuffer.getChannelData(0);
      const out = [];
      for (let i = 0; i < input.length; i++) {
        acc += input[i]; count += 1; pos += 1;
        if (pos >= ratio) { out.push(acc / count); pos -= ratio; acc = 0; count = 0; }
      }
      const pcm = new Int16Array(out.length);
      let energy = 0;
      out.forEach((v, i) => { const c = Math.max(-1, Math.min(1, v)); pcm[i] = c * 0x7fff; energy += c * c; });
      onPcm(pcm.buffer, Math.sqrt(energy / Math.max(1, out.length)));
    };
    source.connect(node).connect(silent);
    return [node, silent];
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${scheme}://${location.host}/ws/voice`);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => send({
      type: "start", sample_rate: 16000, encoding: "pcm16", reply_audio: "pcm16",
      session_id: "web-" + Math.random().toString(36).slice(2, 12),
      greet: params.get("greet") !== "0",
    });
    ws.onmessage = (e) => {
      if (typeof e.data === "string") onMessage(JSON.parse(e.data));
      else playAudio(e.data);
    };
    ws.onclose = (e) => {
      state.closeCode = e.code;
      if (e.code !== 1000 && state.status !== "ended") {
        setStatus(CLOSE_REASONS[e.code] || "连接已断开", "closed");
      }
      cleanup();
    };
  }

  async function startCall() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setStatus("此浏览器不支持麦克风，请使用新版 Chrome、Edge 或 Firefox", "error");
      return;
    }
    els.call.disabled = true;
    setStatus("正在打开麦克风……", "starting");
    try {
      mic = await navigator.mediaDevices.getUserMedia({
        // Echo cancellation stays on (the reply plays from the same device, and barge-in
        // must hear the caller, not the bot); noise suppression and gain control are off:
        // they clip and gate speech in ways that hurt recognition more than noise does.
        audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false },
      });
    } catch (err) {
      setStatus("无法使用麦克风：" + (err.name === "NotAllowedError" ? "请允许本页使用麦克风" : err.name), "error");
      els.call.disabled = false;
      return;
    }
    ctx = new AudioContext();
    await ctx.resume();
    nodes = [ctx.createMediaStreamSource(mic)];
    nodes.push(...(await captureNode(nodes[0])));
    connect();
    els.call.textContent = "结束通话";
    els.call.classList.add("in-call");
    els.call.disabled = false;
  }

  function cleanup() {
    started = false;
    els.human.disabled = true;
    els.partial.textContent = "";
    stopPlayback();
    for (const node of nodes) { try { node.disconnect(); } catch (e) { /* gone */ } }
    nodes = [];
    if (mic) mic.getTracks().forEach((t) => t.stop());
    mic = null;
    els.call.disabled = false;
    els.call.textContent = "开始通话";
    els.call.classList.remove("in-call");
    els.level.style.width = "0";
  }

  function endCall() {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      cleanup();
      return;
    }
    // Stop listening at once; the server still answers what it already heard, then closes.
    if (mic) mic.getTracks().forEach((t) => t.stop());
    stopPlayback();
    els.call.disabled = true;
    els.human.disabled = true;
    setStatus("正在结束通话……", "ending");
    send({ type: "stop" });
  }

  els.call.addEventListener("click", () => (started || (ws && ws.readyState === WebSocket.OPEN) ? endCall() : startCall()));
  els.human.addEventListener("click", () => sendText("转人工"));
})();
