// The `x11` package ships no types; x11Windows.ts describes the few calls it makes.
declare module 'x11';
