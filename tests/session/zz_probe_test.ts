import { StackSim } from "./_stack_sim.ts";
import { Kcp, CMD_PUSH, CMD_ACK } from "../../lib/kcp/kcp.ts";
import { LINK_PROFILES } from "../../lib/link/link.ts";

const FASTACK_DONE = 0xffffffff;
const link = Deno.env.get("PLINK") ?? "bursty-20m-80ms-10pct";
const seeds = (Deno.env.get("PSEEDS") ?? "1,2,3").split(",").map(Number);
const mb = Number(Deno.env.get("PMB") ?? "10");

Deno.test("probe " + link, () => {
  for (const seed of seeds) {
    // deno-lint-ignore no-explicit-any
    let sim: any;
    const nowOf = new WeakMap<object, number>();
    const recvAt = new Map<number, number>(); // client first receipt of sn
    const ackSentAt = new Map<number, number[]>(); // client ack emissions
    const ackGotAt = new Map<number, number>(); // server first ack (parseAck)
    const sentAt = new Map<number, number>(); // server first send
    const c = { fastSp: 0, fastOk: 0, rtoSp: 0, rtoOk: 0, spAckLost: 0, spAckInFlight: 0, spNoAck: 0, spUna: 0 };
    // deno-lint-ignore no-explicit-any
    const P = Kcp.prototype as any;
    const oIn = P.input, oFl = P.flush, oWh = P.writeHeader, oAp = P.ackPush, oPa = P.parseAck;
    const role = (k: object) => sim === undefined || sim.client.conn?.session.kcp === k ? "c" : "s";
    P.input = function (d: Uint8Array, r: boolean, now: number) { nowOf.set(this, now); return oIn.call(this, d, r, now); };
    let nextLog = 0;
    P.flush = function (now: number, a = false) {
      nowOf.set(this, now);
      if (Deno.env.get("PRATE") && role(this) === "s" && now >= nextLog) {
        nextLog = now + 500;
        const ss = sim.server.conn?.session;
        const rc = ss?.rateController;
        if (rc) console.log(`RATE t=${now - 1000000} est=${(rc.bottleneckRate * 8 / 1e6).toFixed(1)} pace=${(this.paceRate * 8 / 1e6).toFixed(1)} state=${rc.state} wnd=${this.sndWndSize} infl=${this.inflight} sacked=${this.sacked} rmt=${this.remoteWnd} q=${this.sndQueue.size} fec=${ss.fecParity} srtt=${this.rxSrtt}`);
      }
      return oFl.call(this, now, a);
    };
    P.ackPush = function (sn: number, ts: number) {
      if (role(this) === "c" && !recvAt.has(sn)) recvAt.set(sn, nowOf.get(this)!);
      return oAp.call(this, sn, ts);
    };
    let lastAck = "";
    const oFa = P.parseFastack;
    P.parseFastack = function (sn: number, ts: number) {
      if (role(this) === "s") lastAck = `${sn}@${ts}`;
      return oFa.call(this, sn, ts);
    };
    const sendHist = new Map<number, number[]>();
    let traced = 0;
    P.parseAck = function (sn: number) {
      if (role(this) === "s" && !ackGotAt.has(sn)) ackGotAt.set(sn, nowOf.get(this)!);
      return oPa.call(this, sn);
    };
    P.writeHeader = function (ptr: number, cmd: number, frg: number, wnd: number, ts: number, sn: number, una: number, len: number) {
      const now = nowOf.get(this)!;
      if (role(this) === "c" && cmd === CMD_ACK) {
        let a = ackSentAt.get(sn); if (!a) ackSentAt.set(sn, a = []); a.push(now);
      }
      if (role(this) === "s" && cmd === CMD_PUSH && len > 0) {
        let h = sendHist.get(sn); if (!h) sendHist.set(sn, h = []); h.push(now);
        if (!sentAt.has(sn)) sentAt.set(sn, now);
        else {
          const seg = this.sndBuf.at((sn - this.sndUna) | 0);
          const fast = seg.fastack === FASTACK_DONE;
          const r = recvAt.get(sn);
          const sp = r !== undefined && r <= now;
          if (fast) sp ? c.fastSp++ : c.fastOk++; else sp ? c.rtoSp++ : c.rtoOk++;
          if (sp && fast && traced < 12 && Deno.env.get("PTRACE")) {
            traced++;
            console.log(`SP sn ${sn} sends ${sendHist.get(sn)} recv ${recvAt.get(sn)} acksent ${ackSentAt.get(sn)} now ${now} una ${this.sndUna} trigger ${lastAck} nextRecv ${[1,2,3,5,10,20].map((d) => (sn+d)+":"+recvAt.get(sn+d)+"/"+ackSentAt.get(sn+d)?.[0]).join(" ")}`);
          }
          if (sp) {
            const a = ackSentAt.get(sn);
            if (a === undefined) c.spUna++;
            else if (a[0] + 40 < now) c.spAckLost++;
            else c.spAckInFlight++;
          }
        }
      }
      return oWh.call(this, ptr, cmd, frg, wnd, ts, sn, una, len);
    };
    try {
      sim = new StackSim({
        seed, up: LINK_PROFILES[link], down: LINK_PROFILES[link],
        ...(Deno.env.get("PRCV") ? { client: { rcvwnd: Number(Deno.env.get("PRCV")) } } : {}), ...(Deno.env.get("PNOFEC") ? { client: { dataShards: 0, parityShards: 0 }, server: { dataShards: 0, parityShards: 0 } } : {}), streams: [{ up: 0, down: mb * 1e6 }], maxWrite: 65536, inspect: false, tunnelDefaults: true, maxSimMs: 600000,
      });
      const r = sim.run();
      const sk = sim.server.conn.session.kcp;
      const mbit = (mb * 8e6 / r.simMs / 1000).toFixed(2);
      console.log(`seed ${seed}: ${mbit} Mbit/s sent ${r.downLink.sent} qdrop ${r.downLink.queueDrops} lost ${r.downLink.lost} | upsent ${r.upLink.sent} uplost ${r.upLink.lost} | retrans ${r.serverSnmp.RetransSegs} fast ${r.serverSnmp.FastRetransSegs} early ${r.serverSnmp.EarlyRetransSegs} rto ${r.serverSnmp.LostSegs} spurious(ts) ${sk.stats.spuriousSegs} repeat ${r.clientSnmp.RepeatSegs}`);
      console.log(`   fast: spurious ${c.fastSp} needed ${c.fastOk}; rto: spurious ${c.rtoSp} needed ${c.rtoOk}; spurious causes: ack sent>40ms before (lost?) ${c.spAckLost}, ack in flight ${c.spAckInFlight}, no ack (una) ${c.spUna}`);
    } finally {
      P.input = oIn; P.flush = oFl; P.writeHeader = oWh; P.ackPush = oAp; P.parseAck = oPa;
    }
  }
});
