import '@testing-library/jest-dom';
import { render, waitFor } from '@testing-library/react';
import App from './App';

describe('App', () => {
  it('offers the development users at sign-in', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: {
            app: { title: 'BROM' },
            backend: { baseUrl: 'http://localhost:7007' },
          },
          context: 'test',
        },
      ] as any,
    };

    const rendered = render(<App />);

    await waitFor(() => {
      expect(rendered.getByText('Sign in as Alice')).toBeInTheDocument();
    });
  });
});
