export { BromPage } from './BromPage';
