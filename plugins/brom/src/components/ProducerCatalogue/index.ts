export { ProducerCatalogue } from './ProducerCatalogue';
