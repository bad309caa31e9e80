// STOPSIGNAL validation: a signal number or a Linux signal name, with or without `SIG` (moby's signal.ParseSignal).

const linuxSignals = new Set([
  'ABRT',
  'ALRM',
  'BUS',
  'CHLD',
  'CLD',
  'CONT',
  'FPE',
  'HUP',
  'ILL',
  'INT',
  'IO',
  'IOT',
  'KILL',
  'PIPE',
  'POLL',
  'PROF',
  'PWR',
  'QUIT',
  'SEGV',
  'STKFLT',
  'STOP',
  'SYS',
  'TERM',
  'TRAP',
  'TSTP',
  'TTIN',
  'TTOU',
  'UNUSED',
  'URG',
  'USR1',
  'USR2',
  'VTALRM',
  'WINCH',
  'XCPU',
  'XFSZ',
  'RTMIN',
  'RTMAX',
]);

export function isValidSignal(raw: string): boolean {
  if (/^\d+$/.test(raw)) return Number(raw) !== 0;
  const name = raw.toUpperCase().replace(/^SIG/, '');
  if (linuxSignals.has(name)) return true;
  const realtime = /^RTMIN\+(\d+)$|^RTMAX-(\d+)$/.exec(name);
  return realtime !== null && Number(realtime[1] ?? realtime[2]) <= 15;
}
