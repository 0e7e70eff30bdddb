/**
 * A character a terminal (or a text renderer) acts on rather than shows, but line feed and
 * tab: what text output must never pass on raw (src/present/terminal-text.ts).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
