export { ConnectionCard, CONNECTION_CARD_ID } from './ConnectionCard';
