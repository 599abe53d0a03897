// Microphone -> 16 kHz mono int16, in the audio thread.
// Downsampling averages the input samples that fall into each output sample's window
// (a box low-pass: enough against aliasing for speech at 16 kHz), with a fractional read
// position, so any device rate (44.1, 48, 96 kHz) works. Posts 40 ms chunks.
class Pcm16Downsampler extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / 16000;
    this.acc = 0;      // sum of input samples in the current output window
    this.count = 0;    // how many input samples are in it
    this.pos = 0;      // input samples consumed in the current window (fractional target)
    this.chunk = new Int16Array(640);
    this.fill = 0;
    this.energy = 0;
  }

  push(value) {
    const v = Math.max(-1, Math.min(1, value));
    this.chunk[this.fill++] = v < 0 ? v * 0x8000 : v * 0x7fff;
    this.energy += v * v;
    if (this.fill === this.chunk.length) {
      const level = Math.sqrt(this.energy / this.fill);
      this.port.postMessage({ pcm: this.chunk.buffer, level }, [this.chunk.buffer]);
      this.chunk = new Int16Array(640);
      this.fill = 0;
      this.energy = 0;
    }
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) return true;
    const channels = input.length;
    const frames = input[0].length;
    for (let i = 0; i < frames; i++) {
      let sample = 0;
      for (let c = 0; c < channels; c++) sample += input[c][i];
      this.acc += sample / channels;
      this.count += 1;
      this.pos += 1;
      if (this.pos >= this.ratio) {
        this.push(this.acc / this.count);
        this.pos -= this.ratio;
        this.acc = 0;
        this.count = 0;
      }
    }
    return true;
  }
}

registerProcessor("pcm16-downsampler", Pcm16Downsampler);
