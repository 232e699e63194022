export { ApplicationView } from './ApplicationView';
export { ApplicationPage } from './ApplicationPage';
