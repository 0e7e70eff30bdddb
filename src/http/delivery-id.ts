/**
 * The longest delivery id switchyard takes (GitHub's are 36-character GUIDs; a forwarder
 * may send its own). The webhook refuses a longer `X-GitHub-Delivery`, and the admin
 * listener's route parameters take this many characters (Fastify's default is 100), so
 * every stored delivery can be read and replayed by its id.
 */
export const MAX_DELIVERY_ID_LENGTH = 200;

/**
 * A delivery id as the webhook takes it: printable ASCII (Node reads header bytes as
 * Latin-1, so anything else would be stored garbled) without comma or space. Node joins a
 * repeated header into "a, b", so a value with one is a repeated (or forged) header. Not
 * `.` or `..`: in a URL path (`/api/deliveries/..`) those are dot segments, which clients
 * resolve away, so such a delivery could never be read or replayed by its id.
 */
export const DELIVERY_ID = new RegExp(`^(?!\\.\\.?$)[\\x21-\\x2b\\x2d-\\x7e]{1,${MAX_DELIVERY_ID_LENGTH}}$`);
