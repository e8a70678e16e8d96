// The recipient refusal is a channel error (channels throw it, the engine records it); named here too for the
// subscriber code that reads it.
export { RecipientRejectedError } from '../channels/errors.js';
