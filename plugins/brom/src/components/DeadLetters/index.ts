export { DeadLettersCard } from './DeadLettersCard';
